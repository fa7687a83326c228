import { existsSync } from 'node:fs';
import { flag } from '../args';
import { ROLES } from '../roles';
import { resolve } from 'node:path';
import { readEnv } from '../../config/env';
import { prepareDemoConfig } from '../../config/demo';
import { startKlaxon } from '../../runtime';
import { syncRetentionSchedules, syncRetrainSchedules } from '../../temporal/schedules';


/**
 * `klaxon start [--role all|http|worker]`: the whole product on embedded defaults (or the servers
 * named in the environment). Roles split webhook intake and workflow execution across hosts.
 */
export async function start(args: string[] = []): Promise<number> {
  const role = (flag(args, '--role') ?? 'all') as (typeof ROLES)[number];
  if (!ROLES.includes(role)) {
    process.stderr.write(`--role must be one of ${ROLES.join(', ')}\n`);
    return 2;
  }
  let env = readEnv();
  let demoEnvFile: string | undefined;
  if (!process.env.KLAXON_CONFIG && !existsSync(env.KLAXON_CONFIG)) {
    const demo = prepareDemoConfig(resolve(env.KLAXON_DATA_DIR));
    env = { ...env, KLAXON_CONFIG: demo.file };
    demoEnvFile = demo.envFile;
  }
  const klaxon = await startKlaxon({ env, http: role !== 'worker', worker: role !== 'http' });
  if (demoEnvFile) {
    klaxon.log.warn(
      { tokens: demoEnvFile, example: 'config/tenants.example.yaml' },
      'no config/tenants.yaml: running the demo tenant (POST /webhook/demo); its bearer tokens are in the tokens file',
    );
  }
  klaxon.log.info(
    { webhook: `${klaxon.url}/webhook/<tenant>`, temporal: klaxon.temporalAddress, webUi: klaxon.temporalUiUrl ?? 'external' },
    'klaxon is up',
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      klaxon.log.info({ signal }, 'shutting down');
      klaxon.stop().then(
        () => resolve(0),
        (err) => {
          klaxon.log.error({ err: (err as Error).message }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => {
      try {
        klaxon.config.reload();
        klaxon.log.info('configuration reloaded');
        // Retrain schedules follow the tenants' cron and time zone.
        void syncRetrainSchedules(klaxon.client, klaxon.config.config, env.KLAXON_TASK_QUEUE, klaxon.log);
        // Heartbeats added start watching, changed ones take their new interval, removed ones retire.
        void klaxon.heartbeats.sync(klaxon.config.config, klaxon.log);
        void syncRetentionSchedules(klaxon.client, klaxon.config.config, env.KLAXON_TASK_QUEUE, klaxon.log);
      } catch (err) {
        klaxon.log.error({ err: (err as Error).message }, 'configuration reload failed; keeping the old one');
      }
      try {
        // After `klaxon keys rotate`: the new key encrypts from now on, payloads under older keys still decrypt.
        klaxon.encryption.reload();
      } catch (err) {
        klaxon.log.error({ err: (err as Error).message }, 'encryption keys reload failed; keeping the old ones');
      }
    });
  });
}
