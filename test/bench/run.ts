import { benchCore } from './core.js';

/**
 * `npm run bench`: prints figures, asserts nothing. Sizes can be lowered for a quick look with
 * BENCH_MODELS, BENCH_VERSIONS and BENCH_SECONDS.
 */
console.log(`model-ledger bench — ${new Date().toISOString()} — node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
await benchCore('sqlite', 18500);
if (process.env.DATABASE_URL) await benchCore('postgres', 18600);
else console.log('\n## postgres\nskipped: DATABASE_URL unset');
