import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../support/ports.js';

const run = promisify(execFile);

function serverBin(): string | undefined {
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    return versions.length ? `/usr/lib/postgresql/${versions[0]}/bin` : undefined;
  } catch {
    return undefined;
  }
}

/** Whether this machine can run a private PostgreSQL (server binaries installed, root to switch to `postgres`). */
export const canRunOwnPostgres = (): boolean => Boolean(serverBin()) && process.getuid?.() === 0;

/**
 * A PostgreSQL instance of our own (initdb into a temp dir, its own port, run as the `postgres`
 * user), so a test can restart it in immediate mode without touching the shared one.
 */
export class OwnPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  static async create(): Promise<OwnPostgres> {
    const bin = serverBin();
    if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
    const dir = mkdtempSync(join(tmpdir(), 'ml-pg-'));
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    chownSync(dir, uid, uid);
    const pg = new OwnPostgres(dir, await freePort(), bin);
    await pg.as(`${bin}/initdb`, ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    await pg.start();
    await pg.as(`${bin}/psql`, ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', "CREATE ROLE ledger LOGIN PASSWORD 'ledger'", '-c', 'CREATE DATABASE ledger OWNER ledger']);
    return pg;
  }

  get url(): string {
    return `postgres://ledger:ledger@127.0.0.1:${this.port}/ledger`;
  }

  private as(cmd: string, args: string[]) {
    return run('runuser', ['-u', 'postgres', '--', cmd, ...args], { timeout: 120_000 });
  }

  async start(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=100`;
    await this.as(`${this.bin}/pg_ctl`, ['-D', join(this.dir, 'data'), '-o', opts, '-l', join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
  }

  /** `pg_ctl stop -m immediate`: no checkpoint, every session cut; recovery replays the WAL on start. */
  async stopImmediate(): Promise<void> {
    await this.as(`${this.bin}/pg_ctl`, ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.as(`${this.bin}/pg_ctl`, ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
