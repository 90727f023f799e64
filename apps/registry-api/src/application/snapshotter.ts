import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { subscribeToAll, type EventStore, type Subscription } from '#event-store';
import { modelNameOfStream } from '#domain';
import { ModelStreamReader, SNAPSHOT_EVERY, type SnapshotStore } from '#read-models';
import { EVENT_STORE, SNAPSHOT_STORE } from '../infrastructure/tokens.js';

/**
 * Follows the store and persists a model's state at every SNAPSHOT_EVERY-th revision of its
 * stream, so the first time-travel question after a restart folds at most that many events.
 * Each snapshot is folded from the previous one (ModelStreamReader.stateAt persists what it passes).
 * Off the request path; its checkpoint lives in model_snapshots, so a restart resumes.
 */
const BATCH = 1000;

@Injectable()
export class Snapshotter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Snapshotter');
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly reader: ModelStreamReader,
    @Inject(SNAPSHOT_STORE) private readonly snapshots: SnapshotStore,
  ) {}

  private readonly stopping = new AbortController();

  async onApplicationBootstrap(): Promise<void> {
    const from = await this.snapshots.checkpoint();
    let lastBatchEnd = performance.now();
    this.subscription = subscribeToAll(
      this.store,
      { fromPosition: from, batchSize: BATCH, pollMs: 2000, onError: (err) => this.log.warn(`snapshot follow failed: ${String(err)}`) },
      async (events) => {
        // Catching up on a large store (after a start) reads every event once: it pauses between
        // full batches so it takes at most about a quarter of the core the API serves from.
        if (events.length === BATCH) await this.pause(Math.min(1000, 3 * (performance.now() - lastBatchEnd)));
        for (const e of events) {
          const model = modelNameOfStream(e.stream);
          if (model === null || (e.revision + 1) % SNAPSHOT_EVERY !== 0) continue;
          await this.reader.stateAt(model, { position: e.position });
        }
        await this.snapshots.setCheckpoint(events[events.length - 1].position);
        lastBatchEnd = performance.now();
      },
    );
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

  /** Position up to which snapshots have been taken (for tests and metrics). */
  get position(): number {
    return this.subscription?.position ?? 0;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.subscription?.stop();
  }
}
