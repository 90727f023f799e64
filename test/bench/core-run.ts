import { cpus } from 'node:os';
import { benchCore } from './core.js';

/** `npm run bench:core`: the earlier core bench (HTTP appends, resolve beside the MLflow alias route), printing figures only. */
console.log(`model-ledger core bench — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} cores`);
await benchCore('sqlite', 18700);
if (process.env.DATABASE_URL) await benchCore('postgres', 18800);
else console.log('\n## postgres\nskipped: DATABASE_URL unset');
process.exit(0);
