import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signDevToken, ensureDevSigningKey } from '#auth';
import { createApp } from './bootstrap.js';
import { validateConfig } from '#config';

describe('development signing key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ml-devkey-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('without configured keys the server creates one under DATA_DIR and accepts tokens it signs', async () => {
    const app = await createApp(validateConfig({ DATA_DIR: dir }), { logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(existsSync(join(dir, 'dev-signing-key.json'))).toBe(true);
      const token = await signDevToken(await ensureDevSigningKey(dir), { sub: 'alice', scope: 'registry:read' });
      const { port } = app.getHttpServer().address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    } finally {
      await app.close();
    }
  });

  test('NODE_ENV=production refuses to start on the development key', async () => {
    await expect(createApp(validateConfig({ DATA_DIR: dir, NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://ledger.example.test' }), { logger: false })).rejects.toThrow(/production/);
  });
});
