import { storeUnavailable } from './store-unavailable.js';

describe('storeUnavailable', () => {
  test('a full disk is STORAGE_FULL (SQLite errcode 13, also extended; PostgreSQL 53100)', () => {
    expect(storeUnavailable({ code: 'ERR_SQLITE_ERROR', errcode: 13, message: 'database or disk is full' })?.code).toBe('STORAGE_FULL');
    expect(storeUnavailable({ code: 'ERR_SQLITE_ERROR', errcode: 13 | (1 << 8), message: 'x' })?.code).toBe('STORAGE_FULL');
    expect(storeUnavailable({ code: '53100', message: 'could not extend file' })?.code).toBe('STORAGE_FULL');
  });
  test('a restarting or unreachable PostgreSQL is STORE_UNAVAILABLE', () => {
    for (const code of ['57P01', '57P03', '08006', 'ECONNREFUSED', 'ECONNRESET']) expect(storeUnavailable({ code, message: '' })?.code).toBe('STORE_UNAVAILABLE');
    expect(storeUnavailable(new Error('Connection terminated unexpectedly'))?.code).toBe('STORE_UNAVAILABLE');
  });
  test('anything else is not (a constraint violation, a SQLite syntax error, a plain bug)', () => {
    expect(storeUnavailable({ code: '23505', message: 'duplicate key' })).toBeUndefined();
    expect(storeUnavailable({ code: 'ERR_SQLITE_ERROR', errcode: 1, message: 'syntax error' })).toBeUndefined();
    expect(storeUnavailable(new TypeError('x is undefined'))).toBeUndefined();
    expect(storeUnavailable(undefined)).toBeUndefined();
  });
});
