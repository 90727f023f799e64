import { cpus } from 'node:os';
import { benchCore } from './core.js';
import { runRelayBench } from './relay.js';

/**
 * `npm run bench`: prints figures, asserts nothing. Sizes can be lowered for a quick look with
 * BENCH_MODELS, BENCH_VERSIONS and BENCH_SECONDS, and narrowed with BENCH_PARTS. PostgreSQL and Kafka parts run when
 * DATABASE_URL / KAFKA_BROKERS are set and say so when they are skipped.
 */
console.log(`model-ledger bench — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} cores`);
// BENCH_PARTS narrows a run, e.g. BENCH_PARTS=postgres; default: all of sqlite,postgres,relay.
const parts = new Set((process.env.BENCH_PARTS ?? 'sqlite,postgres,relay').split(','));
if (parts.has('sqlite')) await benchCore('sqlite', 18500);
if (parts.has('postgres')) {
  if (process.env.DATABASE_URL) await benchCore('postgres', 18600);
  else console.log('\n## postgres\nskipped: DATABASE_URL unset');
}
if (parts.has('relay')) {
  console.log('\n## relay (Kafka)');
  await runRelayBench();
}
process.exit(0);
