import { ConfigError } from '#config';
import { runMigrateCli } from './migrate-cli.js';

runMigrateCli(process.env, (line) => console.log(line))
  .then((code) => process.exit(code))
  .catch((err) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(2);
  });
