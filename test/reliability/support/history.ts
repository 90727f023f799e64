import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** How big the reliability runs are: `reduced` in CI, `full` on demand (RELIABILITY_SIZE=full). */
export const FULL = process.env.RELIABILITY_SIZE === 'full';
export const size = <T>(reduced: T, full: T): T => (FULL ? full : reduced);

export type Outcome = 'ok' | 'fail' | 'unknown';

/** One attempted write: invoked, then ok (acknowledged), fail (definitely not done) or unknown (timeout, cut connection). */
export interface Op {
  id: number;
  writer: number;
  kind: string;
  model: string;
  /** What identifies this write among the stored events (e.g. the lineage runId it registers). */
  marker: string;
  invokedAt: number;
  outcome?: Outcome;
  status?: number;
  detail?: string;
  completedAt?: number;
}

/**
 * The log of every write a reliability test attempted, one JSON line per invoke and per
 * completion under test/artifacts/reliability/, so a failed run can be read afterwards.
 */
export class History {
  readonly ops: Op[] = [];
  private readonly file: string;

  constructor(name: string) {
    this.file = join(process.cwd(), 'test/artifacts/reliability', `${name}.jsonl`);
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, '');
  }

  invoke(op: Omit<Op, 'id' | 'invokedAt'>): Op {
    const full: Op = { ...op, id: this.ops.length, invokedAt: Date.now() };
    this.ops.push(full);
    appendFileSync(this.file, `${JSON.stringify({ event: 'invoke', ...full })}\n`);
    return full;
  }

  complete(op: Op, outcome: Outcome, status?: number, detail?: string): void {
    op.outcome = outcome;
    op.status = status;
    op.detail = detail;
    op.completedAt = Date.now();
    appendFileSync(this.file, `${JSON.stringify({ event: outcome, id: op.id, status, detail })}\n`);
  }

  note(what: string, data: Record<string, unknown> = {}): void {
    appendFileSync(this.file, `${JSON.stringify({ event: 'note', at: Date.now(), what, ...data })}\n`);
  }

  count(outcome: Outcome): number {
    return this.ops.filter((o) => o.outcome === outcome).length;
  }

  summary() {
    return { invoked: this.ops.length, ok: this.count('ok'), fail: this.count('fail'), unknown: this.count('unknown'), pending: this.ops.filter((o) => !o.outcome).length };
  }
}

/**
 * One HTTP write, classified: 2xx → ok; a refused connection → fail (nothing was sent);
 * 4xx → fail; a timeout, a cut connection or a 5xx → unknown (it may or may not have landed).
 */
export async function attempt(history: History, op: Omit<Op, 'id' | 'invokedAt'>, url: string, init: RequestInit, timeoutMs = 15_000): Promise<{ op: Op; status?: number; body?: any }> {
  const o = history.invoke(op);
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    const outcome: Outcome = res.status < 300 ? 'ok' : res.status < 500 ? 'fail' : 'unknown';
    history.complete(o, outcome, res.status, outcome === 'ok' ? undefined : (body?.code ?? String(text).slice(0, 200)));
    return { op: o, status: res.status, body };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    history.complete(o, cause === 'ECONNREFUSED' ? 'fail' : 'unknown', undefined, cause);
    return { op: o };
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
