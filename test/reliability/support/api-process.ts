import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { sleep } from './history.js';
import { freePort } from '../../support/ports.js';

const MAIN = join(process.cwd(), 'dist/apps/registry-api/src/main.js');
const ISSUER = 'https://idp.reliability';
const AUDIENCE = 'model-ledger-reliability';

/** An identity provider for the spawned server: a key pair, its public JWK on disk, tokens on demand. */
export class TestIdp {
  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicKeyFile: string,
  ) {}

  static async create(dir: string): Promise<TestIdp> {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const file = join(dir, 'idp.jwk.json');
    writeFileSync(file, JSON.stringify({ ...(await exportJWK(publicKey)), alg: 'EdDSA', kid: 'rel' }));
    return new TestIdp(privateKey, file);
  }

  env(): Record<string, string> {
    return { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_PUBLIC_KEY_FILE: this.publicKeyFile, JWT_ALGORITHMS: 'EdDSA' };
  }

  token(sub: string, scopes: string[]): Promise<string> {
    return new SignJWT({ scope: scopes.join(' ') })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'rel' })
      .setSubject(sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(this.privateKey);
  }
}

/**
 * The real server (the compiled `main.js`, as production runs it) in a child process, so a test
 * can SIGKILL it mid-write and start it again on the same data. `npm run test:reliability`
 * builds first.
 */
export class ApiProcess {
  readonly dir: string;
  child?: ChildProcess;
  starts = 0;
  kills = 0;
  private readonly logFile: string;

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    dir: string,
  ) {
    this.dir = dir;
    mkdirSync(join(process.cwd(), 'test/artifacts/reliability'), { recursive: true });
    this.logFile = join(process.cwd(), 'test/artifacts/reliability', `api-${port}.log`);
  }

  static async create(env: Record<string, string>, dir = mkdtempSync(join(tmpdir(), 'ml-rel-'))): Promise<ApiProcess> {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm run test:reliability does)`);
    return new ApiProcess(await freePort(), env, dir);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(readyTimeoutMs = 60_000): Promise<void> {
    const out = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, NODE_ENV: 'test', DATA_DIR: this.dir, PORT: String(this.port), HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    this.child = child;
    this.starts++;
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} during start (log: ${this.logFile})`);
      try {
        const r = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2000) });
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`server not ready within ${readyTimeoutMs} ms (log: ${this.logFile})`);
      await sleep(100);
    }
  }

  /** SIGKILL: no shutdown hook runs, open transactions die with the process. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.kills++;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  async ready(): Promise<{ status: number; body: any }> {
    try {
      const r = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(5000) });
      return { status: r.status, body: await r.json() };
    } catch (err) {
      return { status: 0, body: String(err) };
    }
  }
}
