import { readEnv } from '../../config/env';
import { activateKeyInFile, generateEntry, keysFileFor, loadKeyring, rotateKeyFile } from '../../crypto/keySource';

export const KEYS_USAGE = `usage: klaxon keys <command>

  rotate [--stage]   add a new key to the keys file (KLAXON_ENCRYPTION_KEYS_FILE, else <data dir>/encryption.keys);
                     it encrypts from the next start or SIGHUP, the older keys still decrypt.
                     --stage: it only decrypts until \`klaxon keys activate <id>\` (several replicas)
  activate <id>      make a staged key the one that encrypts
  list               key ids, oldest first, and which one encrypts (never the keys)
  generate           print a new "<id>:<base64 key>" entry, for keys kept in a secret store
`;

/** `klaxon keys rotate|list|generate`: the payload encryption keyring (src/crypto). */
export async function keys(args: string[], io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) }): Promise<number> {
  const env = readEnv();
  switch (args[0]) {
    case 'rotate': {
      const file = keysFileFor(env);
      const stage = args.includes('--stage');
      const r = rotateKeyFile(file, { stage });
      io.out(
        stage
          ? `${file}: staged key ${r.id} (decrypts only); once every process has reloaded, run \`klaxon keys activate ${r.id}\` and reload again\n`
          : `${file}: added key ${r.id}; it encrypts once Klaxon restarts or gets SIGHUP (keys: ${r.keys.join(', ')})\n`,
      );
      return 0;
    }
    case 'activate': {
      if (!args[1]) {
        io.err(KEYS_USAGE);
        return 2;
      }
      const file = keysFileFor(env);
      const r = activateKeyInFile(file, args[1]);
      io.out(`${file}: key ${args[1]} encrypts once Klaxon restarts or gets SIGHUP (keys: ${r.keys.join(', ')})\n`);
      return 0;
    }
    case 'list': {
      const { keyring, source } = loadKeyring(env, { create: false });
      io.out(`keys from ${source.kind === 'env' ? 'KLAXON_ENCRYPTION_KEYS' : source.file}\n`);
      for (const id of keyring.ids()) io.out(`${id}${id === keyring.active.id ? '  (encrypts)' : ''}\n`);
      return 0;
    }
    case 'generate':
      io.out(`${generateEntry()}\n`);
      return 0;
    default:
      io.err(KEYS_USAGE);
      return 2;
  }
}
