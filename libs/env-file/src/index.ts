import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * One configuration source shared by the server and every tool (CLI token, rebuild, audit): the
 * environment, plus one `.env`-style file, `ENV_FILE` or `./.env` when present. Values already in
 * the environment win over the file. Returns the file used, so tools can say so.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env.ENV_FILE || '.env';
  if (!existsSync(file)) {
    if (env.ENV_FILE) throw new Error(`ENV_FILE=${env.ENV_FILE} does not exist`);
    return undefined;
  }
  const before = { ...env };
  process.loadEnvFile(file);
  // process.loadEnvFile keeps variables that are already set; restored explicitly all the same.
  for (const [k, v] of Object.entries(before)) env[k] = v;
  return resolve(file);
}

/** `store: sqlite /abs/data/ledger.db (DATA_DIR=/abs/data)` — printed by every tool that opens the store or the keys. */
export function describeStore(env: { EVENT_STORE?: string; DATA_DIR?: string; DATABASE_URL?: string }, envFile?: string): string {
  const dataDir = resolve(env.DATA_DIR || './data');
  const store =
    env.EVENT_STORE === 'postgres' ? `postgres ${(env.DATABASE_URL ?? '').replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')}` : `sqlite ${resolve(dataDir, 'ledger.db')}`;
  return `store: ${store} (DATA_DIR=${dataDir}${envFile ? `, config from the environment and ${envFile}` : ''})`;
}
