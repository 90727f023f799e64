import { CliError, EXIT, exitCodeFor } from './exit-codes.ts';

export interface ClientOptions {
  url: string;
  token?: string;
  /** Sent as Idempotency-Key on writes: a retried step with the same key gets the first response instead of writing twice. */
  idempotencyKey?: string;
}

export interface Problem {
  status?: number;
  code?: string;
  title?: string;
  detail?: string;
  errors?: { field?: string; rule?: string; message?: string }[];
  [k: string]: unknown;
}

/** A thin fetch wrapper: JSON in, JSON out, problem+json turned into a CliError with the right exit code. */
export class Client {
  readonly base: string;
  readonly token?: string;
  readonly idempotencyKey?: string;
  constructor(opts: ClientOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.token = opts.token;
    this.idempotencyKey = opts.idempotencyKey;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  async raw(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: this.headers({
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(method !== 'GET' && this.idempotencyKey ? { 'idempotency-key': this.idempotencyKey } : {}),
          ...init.headers,
        }),
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
        signal: init.signal,
      });
    } catch (e) {
      const c = (e as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message;
      throw new CliError(`cannot reach ${this.base} (${cause ?? (e as Error).message}); is the server running? Set MODEL_LEDGER_URL or --url`, EXIT.unexpected);
    }
    if (!res.ok) throw await problemError(res);
    return res;
  }

  async json<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, { body });
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }
}

export async function problemError(res: Response): Promise<CliError> {
  const text = await res.text();
  let p: Problem = {};
  try {
    p = JSON.parse(text) as Problem;
  } catch {
    p = { detail: text.slice(0, 500) };
  }
  const code = typeof p.code === 'string' ? p.code : undefined;
  const fields = (p.errors ?? []).filter((e) => e.field && e.message !== p.detail).map((e) => `\n  ${e.field}: ${e.message ?? e.rule}`);
  const message = `${res.status}${code ? ` ${code}` : ''}: ${p.detail ?? p.title ?? res.statusText}${fields.join('')}`;
  return new CliError(message, exitCodeFor(res.status, code), { status: res.status, ...p });
}

export const enc = encodeURIComponent;
