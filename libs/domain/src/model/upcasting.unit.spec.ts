import { currentSchemaVersion, upcast, type UpcasterRegistry } from './upcasting.js';

const registry: UpcasterRegistry = {
  // v1 → v2: a new field with a default; v2 → v3: a field renamed.
  VersionRejected: [(d) => ({ reasonCode: 'unspecified', ...(d as object) }), (d) => {
    const { comment, ...rest } = d as { comment?: string };
    return { ...rest, note: comment ?? '' };
  }],
};

describe('upcasting', () => {
  test('the current version of a type is its upcaster count + 1; types without upcasters are at 1', () => {
    expect(currentSchemaVersion('VersionRejected', registry)).toBe(3);
    expect(currentSchemaVersion('ModelCreated', registry)).toBe(1);
  });

  test('a v1 event passes through every upcaster in order and comes out at the current version', () => {
    const v1 = { type: 'VersionRejected', schemaVersion: 1, data: { version: '1.0.0', comment: 'drift' }, position: 7 };
    expect(upcast(v1, registry)).toEqual({ type: 'VersionRejected', schemaVersion: 3, data: { version: '1.0.0', reasonCode: 'unspecified', note: 'drift' }, position: 7 });
  });

  test('a v2 event passes only the later upcasters; a stored value wins over a default', () => {
    const v2 = { type: 'VersionRejected', schemaVersion: 2, data: { version: '1.0.0', reasonCode: 'policy' } };
    expect(upcast(v2, registry).data).toEqual({ version: '1.0.0', reasonCode: 'policy', note: '' });
  });

  test('current, unknown-type and newer-than-known events are returned as they are', () => {
    const current = { type: 'VersionRejected', schemaVersion: 3, data: { version: '1' } };
    const other = { type: 'ModelCreated', schemaVersion: 1, data: { name: 'm' } };
    const newer = { type: 'VersionRejected', schemaVersion: 4, data: { x: 1 } };
    expect(upcast(current, registry)).toBe(current);
    expect(upcast(other, registry)).toBe(other);
    expect(upcast(newer, registry)).toBe(newer);
  });

  test('the stored event object is not modified', () => {
    const data = { version: '1.0.0', comment: 'drift' };
    const v1 = { type: 'VersionRejected', schemaVersion: 1, data };
    upcast(v1, registry);
    expect(v1).toEqual({ type: 'VersionRejected', schemaVersion: 1, data: { version: '1.0.0', comment: 'drift' } });
  });
});
