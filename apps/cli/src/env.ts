import { existsSync } from 'node:fs';

/**
 * The same configuration sources as the server: the environment, plus one `.env`-style file
 * (`ENV_FILE`, default `./.env` when present) whose values never override the environment.
 */
export function loadEnv(env: NodeJS.ProcessEnv = process.env): { envFile?: string } {
  const file = env.ENV_FILE ?? '.env';
  if (!existsSync(file)) {
    if (env.ENV_FILE) throw new Error(`ENV_FILE=${env.ENV_FILE} does not exist`);
    return {};
  }
  const before = { ...env };
  process.loadEnvFile(file);
  // loadEnvFile keeps variables already set; restore explicitly in case a Node version differs.
  for (const [k, v] of Object.entries(before)) env[k] = v;
  return { envFile: file };
}
