import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Mutex } from '#persistence';
import type { EventStore } from '#event-store';
import { CHECKPOINT_STREAM, writeCheckpoint, type AuditKey } from '#audit';
import type { AppConfig } from '#config';
import { APP_CONFIG, AUDIT_KEY, EVENT_STORE } from '../infrastructure/tokens.js';

/**
 * Signs the chain head every AUDIT_CHECKPOINT_EVERY_EVENTS events (checked after each append)
 * and every AUDIT_CHECKPOINT_INTERVAL_MINUTES when anything was appended. Several replicas may
 * each sign the same head: a duplicate checkpoint is harmless.
 */
@Injectable()
export class CheckpointScheduler implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('AuditCheckpoints');
  private readonly mutex = new Mutex();
  /** Position of the newest checkpoint event seen (0 = none). */
  private lastCheckpointAt = 0;
  private unlisten?: () => void;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(AUDIT_KEY) private readonly key: AuditKey,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const existing = await this.store.readStream(CHECKPOINT_STREAM);
    this.lastCheckpointAt = existing.length ? existing[existing.length - 1].position : 0;
    this.unlisten = this.store.onAppended(() => void this.maybeCheckpoint(false));
    const minutes = this.config.AUDIT_CHECKPOINT_INTERVAL_MINUTES;
    if (minutes > 0) {
      this.timer = setInterval(() => void this.maybeCheckpoint(true), minutes * 60_000);
      this.timer.unref();
    }
    await this.maybeCheckpoint(false);
  }

  /** Signs now if enough (or, when `dueByTime`, any) events arrived since the last checkpoint. */
  maybeCheckpoint(dueByTime: boolean): Promise<void> {
    return this.mutex.run(async () => {
      if (this.stopped) return;
      try {
        const head = await this.store.headPosition();
        const pending = head - this.lastCheckpointAt;
        if (pending <= 0 || (!dueByTime && pending < this.config.AUDIT_CHECKPOINT_EVERY_EVENTS)) return;
        const written = await writeCheckpoint(this.store, this.key);
        if (written) this.lastCheckpointAt = written.position;
      } catch (err) {
        // The next append or tick retries; a missed checkpoint weakens nothing already signed.
        this.log.error(`checkpoint failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    if (this.timer) clearInterval(this.timer);
    await this.mutex.run(async () => undefined);
  }
}
