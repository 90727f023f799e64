import { Inject, Injectable } from '@nestjs/common';
import type { EventStore } from '#event-store';
import { CHECKPOINT_STREAM, type CheckpointData } from '#audit';
import { EVENT_STORE } from '../../infrastructure/tokens.js';

export interface CheckpointView {
  /** Position of the checkpoint event itself. */
  position: number;
  /** The chain position it signs, with that event's hash and time. */
  covers: number;
  hash: string;
  coveredRecordedAt: string;
  signedAt: string;
  kid: string;
  jws: string;
}

@Injectable()
export class AuditCheckpointsHandler {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Newest first. */
  async handle(limit = 50): Promise<{ items: CheckpointView[] }> {
    const events = await this.store.readStream(CHECKPOINT_STREAM);
    const items = events
      .slice(-limit)
      .reverse()
      .map((e) => {
        const d = e.data as CheckpointData;
        return { position: e.position, covers: d.position, hash: d.hash, coveredRecordedAt: d.recordedAt, signedAt: e.recordedAt, kid: d.kid, jws: d.jws };
      });
    return { items };
  }
}
