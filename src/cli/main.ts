import { start } from './commands/start';
import { validate } from './commands/validate';
import { act, incidents } from './commands/incidents';

const USAGE = `usage: klaxon <command>

  start [--role R]           run Klaxon (Temporal, worker, HTTP server, audit store); R: all|http|worker
  validate [file]            check a tenants file; prints every problem with its path
  status [--json]            the running stack: Temporal, store, workers, open incidents, receivers (exit 1 when down)
  incidents [--status S]     list the tenant's incidents (KLAXON_URL, KLAXON_TOKEN)
  ack <id> [--note T]        acknowledge an incident
  resolve <id> [--note T]    resolve an incident
  oncall <tenant> <schedule> [--at ISO] [--next N]   who is on call
  import opsgenie|oncall <dir> [--tenant T] [--out F]  a tenants file from an Opsgenie / Grafana OnCall export
                             (report on stderr; exit 3 when some items could not be mapped exactly)
  test-receiver <tenant> <receiver>                  send a test message, print the answer
  runbook list|run|approve|deny|cancel ...          runbooks (klaxon runbook for details)
  model eval --data F ...    evaluate an anomaly model on a labelled CSV
  model retrain|list|report <tenant>   retrain now (progress bar), list versions, shadow report
  token issue|keygen ...     per-user API tokens (klaxon token for details)
  keys rotate|activate|list|generate   payload encryption keys (a new key encrypts, older ones still decrypt)
  audit verify [--tenant T]  check the audit hash chain; names edited, deleted, inserted, reordered rows
  audit erase --tenant T --subject V   right to erasure: tombstones V in the tenant's audit rows
`;

// Heavy commands (TensorFlow.js, vendor clients) are required lazily so `klaxon ack` starts fast.
async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      return start(args);
    case 'validate':
      return validate(args);
    case 'incidents':
      return incidents(args);
    case 'status':
      return (require('./commands/status') as typeof import('./commands/status')).status(args);
    case 'ack':
    case 'resolve':
      return act(command, args);
    case 'oncall':
      return (require('./commands/oncall') as typeof import('./commands/oncall')).oncall(args);
    case 'import':
      return (require('./commands/import') as typeof import('./commands/import')).importCommand(args);
    case 'runbook':
      return (require('./commands/runbook') as typeof import('./commands/runbook')).runbook(args);
    case 'token':
      return (require('./commands/token') as typeof import('./commands/token')).token(args);
    case 'audit':
      return (require('./commands/audit') as typeof import('./commands/audit')).audit(args);
    case 'test-receiver':
      return (require('./commands/testReceiver') as typeof import('./commands/testReceiver')).testReceiver(args);
    case 'keys':
      return (require('./commands/keys') as typeof import('./commands/keys')).keys(args);
    case 'model': {
      if (args[0] === 'eval') return (require('./commands/model-eval') as typeof import('./commands/model-eval')).modelEval(args.slice(1));
      if (args[0] === 'retrain' || args[0] === 'list' || args[0] === 'report') return (require('./commands/model') as typeof import('./commands/model')).model(args);
      process.stderr.write('usage: klaxon model eval --data <csv> --label <column> --model iforest|autoencoder|ensemble [--seed N] [--json]\n');
      return 2;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`klaxon: ${err.message}\n`);
    process.exit(1);
  },
);
