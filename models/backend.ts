/**
 * tfjs backend selection for the models. Preference: tfjs-node ('tensorflow', native libtensorflow,
 * optional: its install downloads a native library, which is not possible everywhere), then the
 * WebAssembly backend (several times faster than 'cpu' for dense layers), then the pure-JS 'cpu'
 * backend. KLAXON_TF_BACKEND=tensorflow|wasm|cpu forces one (an unavailable forced backend is an
 * error rather than a silent fallback, so benchmarks and tests measure what they claim to).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface InitBackendOptions {
  /** Use exactly this backend (overrides KLAXON_TF_BACKEND). */
  force?: BackendName;
  /** Where to report the chosen backend (default: one line on stderr). */
  log?: (message: string) => void;
}

let wasmPathsSet = false;
let lastLogged: string | null = null;

function isBackendName(s: string): s is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(s);
}

/** Make `name` available to tfjs; resolves false when it cannot be loaded on this machine. */
async function activate(name: BackendName): Promise<boolean> {
  // engine().backendName, unlike tf.getBackend(), does not initialise a default backend as a side effect.
  if (tf.engine().backendName === name) return true;
  if (name === 'tensorflow') {
    try {
      // Indirect specifier: keeps type checkers and bundlers from requiring the optional package.
      const optional = '@tensorflow/tfjs-node';
      require(optional);
    } catch {
      return false;
    }
  } else if (name === 'wasm') {
    try {
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      if (!wasmPathsSet) {
        // In Node the .wasm binaries are read from disk; point the loader at the package's dist dir.
        const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
        wasm.setWasmPaths(dist + path.sep);
        wasmPathsSet = true;
      }
    } catch {
      return false;
    }
  }
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * Select and initialise the tfjs backend; returns its name. Safe to call repeatedly (a no-op when the
 * requested backend is already active).
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendName> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const env = process.env.KLAXON_TF_BACKEND?.trim();
  let forced = options.force;
  if (!forced && env) {
    if (!isBackendName(env)) throw new Error(`KLAXON_TF_BACKEND must be one of ${BACKEND_NAMES.join(', ')}, got "${env}"`);
    forced = env;
  }
  const candidates = forced ? [forced] : BACKEND_NAMES;
  for (const name of candidates) {
    if (await activate(name)) {
      await tf.ready();
      if (lastLogged !== name) {
        log(`klaxon models: using tfjs backend "${name}"${forced ? ' (forced)' : ''}`);
        lastLogged = name;
      }
      return name;
    }
  }
  throw new Error(
    forced === 'tensorflow'
      ? 'tfjs backend "tensorflow" requested but @tensorflow/tfjs-node is not installed or cannot load'
      : `tfjs backend "${forced ?? candidates.join('/')}" could not be initialised`,
  );
}

/** The active backend name, or null if tfjs has not picked one of ours. */
export function currentBackend(): BackendName | null {
  const b = tf.engine().backendName;
  return b && isBackendName(b) ? b : null;
}
