import type { ConfigStore } from '../config/store';
import { onScrape, receiverCircuit } from '../metrics';
import { defaultCircuitBreakers, type CircuitBreakers, type CircuitState } from './circuitBreaker';

const STATES: CircuitState[] = ['closed', 'half-open', 'open'];

/**
 * Fills klaxon_receiver_circuit_state on scrape: every receiver of every tenant (a receiver never
 * used since start is closed, as its breaker is), one series per state with 1 on the current one,
 * so `== 1` on `state="open"` is an alert and a removed receiver's series go away on reload.
 * The worker registers this with its breakers, which follow the state every worker shares
 * (sharedBreakers.ts), so each worker's series agree.
 */
export function collectReceiverStates(config: ConfigStore, breakers: CircuitBreakers = defaultCircuitBreakers): () => void {
  onScrape('klaxon_receiver_circuit_state', () => {
    receiverCircuit.reset();
    for (const [tenant, t] of Object.entries(config.config.tenants)) {
      for (const [receiver, r] of Object.entries(t.receivers ?? {})) {
        const current = breakers.stateOf(tenant, receiver);
        for (const state of STATES) receiverCircuit.set({ tenant, receiver, receiver_type: r.type, state }, state === current ? 1 : 0);
      }
    }
  });
  return () => onScrape('klaxon_receiver_circuit_state', undefined);
}
