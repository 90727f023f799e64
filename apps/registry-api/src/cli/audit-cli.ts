import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { openLedgerStore } from '#event-store';
import { createInterface } from 'node:readline';
import type { JWK } from 'jose';
import { devAuditKeyFile, loadAuditKey, verifyNdjson, verifyStoreParallel, type VerifyReport } from '#audit';
import { describeStore } from '#env-file';
import { validateConfig, type AppConfig } from '#config';

export const USAGE = `usage:
  npm run audit -- verify [--from N] [--to N] [--jwks keys.json] [--threads N] [--json]
      recompute the stored hash chain and check every checkpoint signature (store from EVENT_STORE/DATA_DIR/DATABASE_URL);
      chains of 250,000 events or more are verified in chunks on one worker thread per core, --threads N sets the
      number of threads and uses them whatever the chain's length (--threads 1: one pass, no workers)
  npm run audit -- verify-export <export.ndjson> --jwks <keys.json> [--json]
      verify an NDJSON export offline against the JWKS from GET /v1/audit/keys
  npm run audit -- jwks
      print the JWKS of the configured audit signing key
  npm run audit -- --help
configuration as the server's: EVENT_STORE, DATA_DIR, DATABASE_URL, AUDIT_SIGNING_KEY_FILE from the
environment or ENV_FILE / ./.env; verify prints the store and DATA_DIR it checked.`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
function intOption(args: string[], name: string): number | undefined {
  const v = option(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, not '${v}'`);
  return n;
}

export class UsageError extends Error {}

async function configuredJwks(config: AppConfig): Promise<{ keys: JWK[] }> {
  const file = config.AUDIT_SIGNING_KEY_FILE ?? devAuditKeyFile(config.DATA_DIR);
  if (!existsSync(file)) return { keys: [] };
  return { keys: [(await loadAuditKey(file)).publicJwk] };
}

export function describeReport(r: VerifyReport): string {
  if (r.ok) {
    const cp = r.lastCheckpoint ? `; last checkpoint at position ${r.lastCheckpoint.position} signs position ${r.lastCheckpoint.covers} (key ${r.lastCheckpoint.kid})` : '';
    const gaps = r.uncheckedLinks ? `; ${r.uncheckedLinks} links across skipped positions not checkable` : '';
    return `OK: ${r.verified} events verified from position ${r.from}, last verified position ${r.lastVerifiedPosition}, ${r.checkpointsVerified} signed checkpoints valid${cp}${gaps}${r.workers ? ` (${r.workers} worker threads)` : ''}`;
  }
  const b = r.broken!;
  return `BROKEN at position ${b.position}: ${b.kind}: ${b.message} (${r.verified} events verified before it, last good position ${r.lastVerifiedPosition})`;
}

/** Runs the audit CLI; returns the exit code (0 OK, 1 broken, 2 usage or configuration error). */
export async function runAuditCli(args: string[], env: Record<string, string | undefined>, out: (line: string) => void, envFile?: string): Promise<number> {
  const [command, ...rest] = args;
  const json = rest.includes('--json');
  const jwksFile = option(rest, '--jwks');
  const readJwks = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { keys: JWK[] };
  switch (command) {
    case 'verify': {
      const config = validateConfig(env);
      const from = intOption(rest, '--from');
      const to = intOption(rest, '--to');
      const threads = intOption(rest, '--threads');
      const jwks = jwksFile ? readJwks(jwksFile) : await configuredJwks(config);
      // Which store was checked, on stderr so --json output stays one JSON document.
      process.stderr.write(`${describeStore(config, envFile)}\n`);
      const clock = { now: () => new Date() };
      const { db, store } = await openLedgerStore(config, clock);
      try {
        // Long chains are verified in chunks on worker threads (each opens the store itself).
        const spec = { EVENT_STORE: config.EVENT_STORE, DATA_DIR: config.DATA_DIR, ...(config.DATABASE_URL ? { DATABASE_URL: config.DATABASE_URL } : {}) };
        const report = await verifyStoreParallel(store, spec, jwks, { from, to, ...(threads ? { threads, minEventsForWorkers: 0 } : {}) });
        out(json ? JSON.stringify(report, null, 2) : describeReport(report));
        return report.ok ? 0 : 1;
      } finally {
        await store.close();
        await db.close();
      }
    }
    case 'verify-export': {
      const file = rest[0];
      if (!file || file.startsWith('--')) throw new UsageError('verify-export needs the export file');
      if (!jwksFile) throw new UsageError('verify-export needs --jwks <file> (save GET /v1/audit/keys)');
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      const report = await verifyNdjson(lines, readJwks(jwksFile));
      out(json ? JSON.stringify(report, null, 2) : `${describeReport(report)} (${report.lines} records read)`);
      return report.ok ? 0 : 1;
    }
    case 'jwks': {
      out(JSON.stringify(await configuredJwks(validateConfig(env)), null, 2));
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
  }
}
