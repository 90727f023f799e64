/**
 * Errors that mean "the database cannot take this now" rather than "this request is wrong":
 * a full disk (SQLite SQLITE_FULL, PostgreSQL 53100) or a database that is restarting or
 * unreachable. The HTTP layer answers them with 503 and a Retry-After instead of a 500. The
 * database may have gone away after the append committed (while the read models were being
 * updated, or before the COMMIT's reply arrived): the reliability suite saw exactly that, so the
 * message does not promise nothing was written; a retry with the same Idempotency-Key is safe.
 */
export interface StoreUnavailable {
  code: 'STORAGE_FULL' | 'STORE_UNAVAILABLE';
  detail: string;
}

const UNAVAILABLE = 'the database is unavailable (restarting or unreachable); the request may not have completed: retry shortly with the same Idempotency-Key';
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
const NET_UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

export function storeUnavailable(err: unknown): StoreUnavailable | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; errcode?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  // node:sqlite: { code: 'ERR_SQLITE_ERROR', errcode: 13 (SQLITE_FULL) } — errcode may be extended (13 | n << 8).
  if (e.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number' && (e.errcode & 0xff) === 13) {
    return { code: 'STORAGE_FULL', detail: 'the database disk is full; reads still work; retry (with the same Idempotency-Key) once space has been freed' };
  }
  if (e.code === '53100') return { code: 'STORAGE_FULL', detail: 'the database disk is full; retry (with the same Idempotency-Key) once space has been freed' };
  if (typeof e.code === 'string' && (PG_UNAVAILABLE.has(e.code) || NET_UNAVAILABLE.has(e.code))) {
    return { code: 'STORE_UNAVAILABLE', detail: UNAVAILABLE };
  }
  if (/Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(message)) {
    return { code: 'STORE_UNAVAILABLE', detail: UNAVAILABLE };
  }
  return undefined;
}
