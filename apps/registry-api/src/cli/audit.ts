import { loadEnvFile } from '#env-file';
import { ConfigError } from '#config';
import { runAuditCli, USAGE, UsageError } from './audit-cli.js';

const args = process.argv.slice(2);
if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
  console.log(USAGE);
  process.exit(args.length === 0 ? 2 : 0);
}
const envFile = loadEnvFile();

runAuditCli(args, process.env, (line) => console.log(line), envFile)
  .then((code) => process.exit(code))
  .catch((err) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n`);
      console.error(USAGE);
    } else console.error(err instanceof ConfigError ? err.message : err);
    process.exit(2);
  });
