import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventStore } from '#event-store';
import { modelNameOfStream } from '#domain';
import { ModelStreamReader, SNAPSHOT_EVERY, type SnapshotStore } from '#read-models';
import { EVENT_STORE, SNAPSHOT_STORE } from '../infrastructure/tokens.js';

/** Positions looked at per query for due snapshots. */
const SCAN = 50_000;
const POLL_MS = 2000;

/**
 * Follows the store and persists a model's state at every SNAPSHOT_EVERY-th revision of its
 * stream, so the first time-travel question after a restart folds at most that many events.
 * Each snapshot is folded from the previous one (ModelStreamReader.stateAt persists what it passes).
 * It asks the snapshot store where snapshots are due (positions and revisions only) instead of
 * reading every event, so catching up on a large store after a start costs the serving process
 * almost nothing. Off the request path; its checkpoint lives in model_snapshots, so a restart resumes.
 */
@Injectable()
export class Snapshotter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Snapshotter');
  private readonly stopping = new AbortController();
  private followed = 0;
  private running?: Promise<void>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly reader: ModelStreamReader,
    @Inject(SNAPSHOT_STORE) private readonly snapshots: SnapshotStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.followed = await this.snapshots.checkpoint();
    this.running = this.follow();
  }

  /** Position up to which snapshots have been taken (for tests and metrics). */
  get position(): number {
    return this.followed;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async follow(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        await this.catchUp();
      } catch (err) {
        this.log.warn(`snapshot follow failed: ${String(err)}`);
      }
      await this.pause(POLL_MS);
    }
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const head = await this.store.headPosition();
      if (head <= this.followed) return;
      const upTo = Math.min(head, this.followed + SCAN);
      for (const due of await this.snapshots.due(this.followed, upTo, SNAPSHOT_EVERY)) {
        if (this.stopping.signal.aborted) return;
        const model = modelNameOfStream(due.stream);
        if (model !== null) await this.reader.stateAt(model, { position: due.position });
      }
      await this.snapshots.setCheckpoint(upTo);
      this.followed = upTo;
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopping.signal.addEventListener('abort', done);
    });
  }
}
