import { describeStore, loadEnvFile } from '#env-file';
import { openLedgerStore } from '#event-store';
import { rebuildAndCompare } from '#read-models';
import { ConfigError, validateConfig } from '#config';

function progressBar(position: number, head: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const done = head === 0 ? width : Math.min(width, Math.round((position / head) * width));
  process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${position}/${head} events`);
}

/**
 * Rebuilds every read model from position 0 beside the live one and says whether they are
 * identical. Exit code 0 when identical, 1 when they differ.
 */
const USAGE = `usage: npm run rebuild-read-models [-- --help]
  Replays every event into fresh read models beside the live ones and reports whether they are identical
  (exit 0 identical, 1 different, 2 usage or configuration error). Reads the server's configuration:
  EVENT_STORE, DATA_DIR, DATABASE_URL from the environment or ENV_FILE / ./.env.`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  if (args.length) {
    console.error(`unknown argument '${args[0]}'\n${USAGE}`);
    process.exit(2);
  }
  const envFile = loadEnvFile();
  const config = validateConfig(process.env);
  console.log(describeStore(config, envFile));
  const clock = { now: () => new Date() };
  const { db, store } = await openLedgerStore(config, clock);
  const started = Date.now();
  const report = await rebuildAndCompare(db, store, { onProgress: progressBar });
  if (process.stderr.isTTY) process.stderr.write('\n');
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  if (report.identical) {
    console.log(`identical: rebuilt read models match the live ones at position ${report.position} (${seconds}s)`);
  } else {
    console.log(`DIFFERENT at position ${report.position}:`);
    for (const d of report.differences) console.log(`  ${d.table}: ${d.onlyLive} rows only in live, ${d.onlyRebuilt} rows only in rebuilt`);
  }
  await store.close();
  await db.close();
  process.exit(report.identical ? 0 : 1);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(2);
});
