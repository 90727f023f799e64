import { ConfigError } from '../../../../libs/config/src/index.js';
import { runAuditCli, USAGE, UsageError } from './audit-cli.js';

runAuditCli(process.argv.slice(2), process.env, (line) => console.log(line))
  .then((code) => process.exit(code))
  .catch((err) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n`);
      console.error(USAGE);
    } else console.error(err instanceof ConfigError ? err.message : err);
    process.exit(2);
  });
