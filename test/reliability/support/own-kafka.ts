import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../support/ports.js';

const run = promisify(execFile);
const SHARED_LIBS = join(process.env.SERVICES_DIR ?? join(homedir(), '.cache/model-ledger/services'), 'kafka/libs');

/** Whether a private broker can be started (the Kafka jars are cached by `services.sh up kafka`). */
export const canRunOwnKafka = (): boolean => existsSync(SHARED_LIBS);

/**
 * A Kafka broker of our own, started by scripts/services.sh with its own SERVICES_DIR and ports
 * (the shared broker is never touched), so a test can SIGKILL it.
 */
export class OwnKafka {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly controllerPort: number,
  ) {}

  static async create(): Promise<OwnKafka> {
    const k = new OwnKafka(mkdtempSync(join(tmpdir(), 'ml-kafka-')), await freePort(), await freePort());
    await k.services('kafka-start');
    return k;
  }

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  private services(command: 'kafka-start' | 'kafka-kill' | 'kafka-reset'): Promise<unknown> {
    return run('bash', ['scripts/services.sh', command], {
      timeout: 240_000,
      env: { ...process.env, SERVICES_DIR: this.dir, KAFKA_PORT: String(this.port), KAFKA_CONTROLLER_PORT: String(this.controllerPort), KAFKA_LIBS: SHARED_LIBS, KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m' },
    });
  }

  /** SIGKILL: no controlled shutdown, unflushed log segments recovered on start. */
  kill(): Promise<unknown> {
    return this.services('kafka-kill');
  }

  start(): Promise<unknown> {
    return this.services('kafka-start');
  }

  async destroy(): Promise<void> {
    await this.services('kafka-reset').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
