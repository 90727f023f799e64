import { Mutex, type SqlDb, type SqlExecutor } from '../../persistence/src/index.js';
import type { EventStore, RecordedEvent } from '../../event-store/src/index.js';
import {
  aliasChange,
  auditRow,
  evolveModelRow,
  evolveQueueRow,
  evolveVersionRow,
  modelOf,
  versionOf,
  type ModelRow,
  type QueueRow,
  type VersionRow,
} from './rows.js';
import type { TablePrefix } from './tables.js';

/** A projection writes its rows for one event inside the batch transaction. */
export interface Projection {
  readonly name: string;
  apply(tx: SqlExecutor, event: RecordedEvent, prefix: TablePrefix): Promise<void>;
}

const indexList = (values: string[]) => `|${values.join('|')}|`;
const tagIndex = (tags: Record<string, string>) => indexList(Object.entries(tags).flatMap(([k, v]) => [k, `${k}=${v}`]));

async function one<T>(tx: SqlExecutor, sql: string, params: (string | number)[]): Promise<T | undefined> {
  const [row] = await tx.query<{ doc: string }>(sql, params);
  return row ? (JSON.parse(row.doc) as T) : undefined;
}

export const registryProjection: Projection = {
  name: 'registry',
  async apply(tx, e, p) {
    const model = modelOf(e);
    if (!model) return;
    const before = await one<ModelRow>(tx, `SELECT doc FROM ${p}models WHERE name = ?`, [model]);
    const after = evolveModelRow(before, e);
    if (after) {
      await tx.run(
        `INSERT INTO ${p}models (name, owners_idx, tags_idx, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owners_idx = excluded.owners_idx, tags_idx = excluded.tags_idx, doc = excluded.doc`,
        [model, indexList(after.owners), tagIndex(after.tags), JSON.stringify(after)],
      );
    }
    const version = versionOf(e);
    if (version) {
      const vBefore = await one<VersionRow>(tx, `SELECT doc FROM ${p}versions WHERE model = ? AND version = ?`, [model, version]);
      const vAfter = evolveVersionRow(vBefore, e);
      if (vAfter && vAfter !== vBefore) {
        await tx.run(
          `INSERT INTO ${p}versions (model, version, stage, approval_status, registered_position, doc) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (model, version) DO UPDATE SET stage = excluded.stage, approval_status = excluded.approval_status, doc = excluded.doc`,
          [model, version, vAfter.stage, vAfter.approvalStatus, vAfter.registeredPosition, JSON.stringify(vAfter)],
        );
      }
    }
    const alias = aliasChange(e);
    if (alias?.row) {
      await tx.run(
        `INSERT INTO ${p}aliases (model, alias, version, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, doc = excluded.doc`,
        [model, alias.alias, alias.row.version, JSON.stringify(alias.row)],
      );
    } else if (alias) {
      await tx.run(`DELETE FROM ${p}aliases WHERE model = ? AND alias = ?`, [model, alias.alias]);
    }
  },
};

export const approvalQueueProjection: Projection = {
  name: 'approval-queue',
  async apply(tx, e, p) {
    const model = modelOf(e);
    const version = versionOf(e);
    if (!model || !version) return;
    const before = await one<QueueRow>(tx, `SELECT doc FROM ${p}approval_queue WHERE model = ? AND version = ?`, [model, version]);
    const after = evolveQueueRow(before, e);
    if (after === null) {
      await tx.run(`DELETE FROM ${p}approval_queue WHERE model = ? AND version = ?`, [model, version]);
    } else if (after && after !== before) {
      await tx.run(
        `INSERT INTO ${p}approval_queue (model, version, registered_position, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT (model, version) DO UPDATE SET doc = excluded.doc`,
        [model, version, after.position, JSON.stringify(after)],
      );
    }
  },
};

export const auditTrailProjection: Projection = {
  name: 'audit-trail',
  async apply(tx, e, p) {
    const r = auditRow(e);
    await tx.run(
      `INSERT INTO ${p}audit (position, event_id, stream, model, version, type, actor, reason, correlation_id, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.position, r.eventId, r.stream, r.model, r.version, r.type, r.actor, r.reason, r.correlationId, r.recordedAt],
    );
  },
};

export const ALL_PROJECTIONS: readonly Projection[] = [registryProjection, approvalQueueProjection, auditTrailProjection];

export interface ProjectorStatus {
  position: number;
  lastProgressAt: number;
  lastError?: string;
}

/**
 * Runs the projections over the event store. Each batch is one transaction that writes the rows
 * and advances every projection's checkpoint together, so a crash never leaves rows and
 * checkpoint apart. The checkpoint row is locked (FOR UPDATE on PostgreSQL) so two processes
 * never project the same event twice.
 */
export class Projector {
  private readonly mutex = new Mutex();
  private position = -1;
  private lastProgressAt = Date.now();
  private lastError?: string;
  private stopLoop?: () => Promise<void>;

  constructor(
    private readonly db: SqlDb,
    private readonly store: EventStore,
    private readonly options: { prefix?: TablePrefix; batchSize?: number; projections?: readonly Projection[] } = {},
  ) {}

  private get prefix(): TablePrefix {
    return this.options.prefix ?? 'rm_';
  }
  private get projections(): readonly Projection[] {
    return this.options.projections ?? ALL_PROJECTIONS;
  }

  async checkpoint(): Promise<number> {
    const rows = await this.db.query<{ position: number }>(`SELECT position FROM ${this.prefix}checkpoints`);
    if (rows.length < this.projections.length) return 0;
    return Math.min(...rows.map((r) => Number(r.position)));
  }

  status(): ProjectorStatus {
    return { position: this.position, lastProgressAt: this.lastProgressAt, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** Projects everything up to the head (or at least up to `until`); returns the checkpoint reached. */
  catchUp(until?: number, onProgress?: (position: number) => void): Promise<number> {
    if (until !== undefined && this.position >= until) return Promise.resolve(this.position);
    return this.mutex.run(async () => {
      if (until !== undefined && this.position >= until) return this.position;
      const batchSize = this.options.batchSize ?? 500;
      for (;;) {
        const from = await this.checkpoint();
        const events = await this.store.readAll({ fromPosition: from, limit: batchSize });
        if (events.length === 0) {
          this.position = from;
          this.lastProgressAt = Date.now();
          return from;
        }
        this.position = await this.applyBatch(events);
        this.lastProgressAt = Date.now();
        this.lastError = undefined;
        onProgress?.(this.position);
        if (events.length < batchSize && (until === undefined || this.position >= until)) return this.position;
      }
    });
  }

  private async applyBatch(events: RecordedEvent[]): Promise<number> {
    const p = this.prefix;
    const forUpdate = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    return this.db.transaction(async (tx) => {
      let reached = 0;
      for (const projection of this.projections) {
        await tx.run(`INSERT INTO ${p}checkpoints (projection, position) VALUES (?, 0) ON CONFLICT (projection) DO NOTHING`, [projection.name]);
        const [{ position }] = await tx.query<{ position: number }>(`SELECT position FROM ${p}checkpoints WHERE projection = ?${forUpdate}`, [
          projection.name,
        ]);
        let at = Number(position);
        for (const e of events) {
          if (e.position <= at) continue; // another process got here first
          await projection.apply(tx, e, p);
          at = e.position;
        }
        await tx.run(`UPDATE ${p}checkpoints SET position = ? WHERE projection = ?`, [at, projection.name]);
        reached = reached === 0 ? at : Math.min(reached, at);
      }
      return reached;
    });
  }

  /** Follows appends (local notifications, or the poll for other processes' writes). */
  start(pollMs = 1000): void {
    let stopped = false;
    let wake: (() => void) | undefined;
    const unlisten = this.store.onAppended(() => wake?.());
    const loop = (async () => {
      while (!stopped) {
        try {
          await this.catchUp();
        } catch (err) {
          this.lastError = err instanceof Error ? err.message : String(err);
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    })();
    this.stopLoop = async () => {
      stopped = true;
      unlisten();
      wake?.();
      await loop;
    };
  }

  async stop(): Promise<void> {
    await this.stopLoop?.();
    await this.mutex.run(async () => undefined);
  }
}
