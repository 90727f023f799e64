import { describeMigration, MigrationError } from '#persistence';
import { openLedgerStore } from '#event-store';
import { join } from 'node:path';
import { validateConfig, type AppConfig } from '#config';

/** Where the store is, for the operator, without the password. */
export function describeStore(config: AppConfig): string {
  if (config.EVENT_STORE !== 'postgres') return `sqlite ${join(config.DATA_DIR, 'ledger.db')}`;
  const url = new URL(config.DATABASE_URL!);
  const schema = /search_path(?:=|%3D)([\w$]+)/i.exec(decodeURIComponent(url.searchParams.get('options') ?? ''))?.[1];
  return `postgres ${url.hostname}:${url.port || 5432}${url.pathname}${schema ? ` (schema ${schema})` : ''}`;
}

/**
 * `npm run migrate`: applies pending schema migrations and exits, for production to run as its
 * own step (a Job before a rollout). The server runs the same migrations at start-up under the
 * same lock, so running both is safe. Exit 0 done, 1 refused (MigrationError), 2 configuration.
 */
export async function runMigrateCli(env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const config = validateConfig(env);
  out(`store: ${describeStore(config)}`);
  let opened;
  try {
    opened = await openLedgerStore(config, { now: () => new Date() }, { poolSize: 2, applicationName: 'model-ledger-migrate' });
    out(describeMigration(opened.migration!));
    return 0;
  } catch (err) {
    if (err instanceof MigrationError) {
      out(`refused: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await opened?.store.close();
    await opened?.db.close();
  }
}
