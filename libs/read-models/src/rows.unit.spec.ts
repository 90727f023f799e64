import { evolveVersion, fold, initialModelState, modelStreamName, toModelEvent, type VersionState } from '#domain';
import type { RecordedEvent } from '#event-store';
import { evolveModelRow, evolveModelWork, evolveVersionRow, evolveVersionWork, modelCodec, versionCodec, type ModelRow, type ModelWork, type VersionRow, type VersionWork } from './rows.js';

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** A model stream touching every kind of version change, as the store returns it. */
function history(): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  const push = (type: string, data: unknown, sub = 'alice') =>
    out.push({
      id: `e${out.length}`,
      type,
      stream: modelStreamName('churn'),
      revision: out.length,
      position: 100 + out.length * 2,
      recordedAt: `2026-01-01T00:00:${String(out.length).padStart(2, '0')}.000Z`,
      schemaVersion: 1,
      data,
      metadata: { actor: { sub, scopes: [] }, correlationId: `c${out.length}` },
    });
  const registered = (version: string, n: number, extra: object = {}) =>
    push('VersionRegistered', { version, artifact: { uri: `s3://churn/${n}`, format: 'onnx' }, metrics: { auc: 0.9 }, params: {}, lineage: {}, tags: { team: 'a' }, ...extra });
  push('ModelCreated', { name: 'churn', owners: ['team'], tags: {} });
  registered('1.0.0', 1, { description: 'first' });
  push('GatePassed', { version: '1.0.0', gate: 'eval', metrics: { auc: 0.91 }, evidenceUri: 's3://ev/1' });
  push('GateFailed', { version: '1.0.0', gate: 'bias' });
  push('ApprovalRecorded', { version: '1.0.0', approvals: 1, required: 2, comment: 'ok' }, 'bob');
  push('VersionApproved', { version: '1.0.0', approvals: 2, required: 2 }, 'carol');
  push('StageChanged', { version: '1.0.0', from: 'None', to: 'Staging' });
  push('VersionPromoted', { version: '1.0.0', from: 'Staging', to: 'Production' });
  push('AliasSet', { alias: 'prod', version: '1.0.0' });
  registered('1.1.0', 2, { mlflowVersion: 7 });
  push('ArtifactDigestRecorded', { version: '1.1.0', digest: digest(2) });
  push('VersionTagSet', { version: '1.1.0', key: 'k', value: 'v' });
  push('VersionTagDeleted', { version: '1.1.0', key: 'team' });
  push('VersionDescriptionUpdated', { version: '1.1.0', description: 'second' });
  push('VersionRejected', { version: '1.1.0', comment: 'no' }, 'dave');
  push('VersionArchived', { version: '1.1.0', from: 'None' });
  push('VersionDeleted', { version: '1.1.0' });
  registered('1.2.0', 3);
  push('RolledBack', { fromVersion: '1.2.0', toVersion: '1.0.0' });
  push('ModelTagSet', { key: 'tier', value: 'gold' });
  push('ModelTagDeleted', { key: 'tier' });
  push('ModelTagSet', { key: 'domain', value: 'risk' });
  push('ModelDescriptionUpdated', { description: 'churn model' });
  push('ModelDeleted', { name: 'churn' });
  return out;
}

function rowsOf(events: RecordedEvent[]): Map<string, VersionRow> {
  const rows = new Map<string, VersionRow>();
  let registered = 0;
  for (const e of events) {
    if (e.type === 'VersionRegistered') registered++;
    const version = (e.data as { version?: string }).version;
    if (!version) continue;
    const after = evolveVersionRow(rows.get(version), e, registered);
    if (after) rows.set(version, after);
  }
  return rows;
}

/** JSON is how rows are stored: absent and undefined fields are the same there. */
const stored = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

describe('version rows are the domain fold, mapped', () => {
  test('every row equals the version in a fresh fold of the stream, without the bookkeeping, plus where it sits', () => {
    const events = history();
    const state = fold(initialModelState('churn'), events.map(toModelEvent));
    const rows = rowsOf(events);
    expect([...rows.keys()].sort()).toEqual(Object.keys(state.versions).sort());
    for (const [version, row] of rows) {
      const { servedInProduction: _s, revision: _r, ...v } = state.versions[version];
      const { name, registeredPosition, position, ...rest } = row;
      expect(stored(rest)).toEqual(stored(v));
      expect(name).toBe('churn');
      const about = events.filter((e) => (e.data as { version?: string }).version === version && e.type !== 'AliasSet');
      expect(registeredPosition).toBe(about[0].position);
      expect(position).toBe(about[about.length - 1].position);
    }
    // Spot checks that the fold above is not vacuous.
    expect(rows.get('1.0.0')).toMatchObject({ stage: 'Production', approvalStatus: 'Approved', gates: { bias: { status: 'failed' } } });
    expect(rows.get('1.1.0')).toMatchObject({ mlflowVersion: 7, approvalStatus: 'Rejected', stage: 'Archived', deleted: { by: 'alice' }, tags: { k: 'v' } });
    expect(rows.get('1.2.0')).toMatchObject({ mlflowVersion: 3 });
  });

  test('an event about another version, or about the model only, leaves a row (and a version) as it was', () => {
    const events = history();
    const rows = rowsOf(events.slice(0, 3));
    const row = rows.get('1.0.0')!;
    const aliasSet = events.find((e) => e.type === 'AliasSet')!;
    const otherVersion = events.find((e) => e.type === 'VersionRegistered' && (e.data as { version: string }).version === '1.1.0')!;
    expect(evolveVersionRow(row, aliasSet, 1)).toBe(row);
    const v = fold(initialModelState('churn'), events.slice(0, 3).map(toModelEvent)).versions['1.0.0'] as VersionState;
    expect(evolveVersion(v, toModelEvent(otherVersion), 2)).toBe(v);
    expect(evolveVersion(undefined, toModelEvent(aliasSet), 1)).toBeUndefined();
  });

  test('the model row equals the model in a fresh fold (without versions and bookkeeping), at its last event', () => {
    const events = history();
    const state = fold(initialModelState('churn'), events.map(toModelEvent));
    let row: ModelRow | undefined;
    for (const e of events) row = evolveModelRow(row, e);
    expect(stored(row)).toEqual(
      stored({
        name: 'churn',
        description: state.description,
        owners: state.owners,
        tags: state.tags,
        createdBy: state.createdBy,
        createdAt: state.createdAt,
        updatedAt: state.updatedAt,
        versionCount: state.registeredCount,
        deleted: state.deleted,
        position: events[events.length - 1].position,
      }),
    );
    expect(row).toMatchObject({ versionCount: 3, tags: { domain: 'risk' }, description: 'churn model', deleted: { by: 'alice' } });
    // Nothing before the model exists.
    expect(evolveModelRow(undefined, events[1])).toBeUndefined();
  });

  test('rows kept in the working shape for a whole batch and encoded once give the same stored rows as mapping every event', () => {
    const events = history();
    // Split anywhere: each part decodes the rows the previous one stored (JSON), as batches do.
    for (const split of [0, 5, 11, events.length]) {
      let model: ModelWork | undefined;
      const versions = new Map<string, VersionWork>();
      let modelRow: ModelRow | undefined;
      const versionRows = new Map<string, VersionRow>();
      const parts = [events.slice(0, split), events.slice(split)];
      for (const part of parts) {
        model = modelRow && modelCodec.decode(JSON.parse(JSON.stringify(modelRow)) as ModelRow);
        versions.clear();
        for (const [v, row] of versionRows) versions.set(v, versionCodec.decode(JSON.parse(JSON.stringify(row)) as VersionRow));
        for (const e of part) {
          model = evolveModelWork(model, e);
          const version = (e.data as { version?: string }).version;
          if (!version) continue;
          const after = evolveVersionWork(versions.get(version), e, model?.header.registeredCount ?? 0);
          if (after) versions.set(version, after);
        }
        modelRow = model && modelCodec.encode(model);
        for (const [v, work] of versions) versionRows.set(v, versionCodec.encode(work));
      }
      let expectedModel: ModelRow | undefined;
      for (const e of events) expectedModel = evolveModelRow(expectedModel, e);
      // The stored text, field order included (rebuild-and-compare compares text).
      expect(JSON.stringify(modelRow)).toBe(JSON.stringify(expectedModel));
      const expected = rowsOf(events);
      expect([...versionRows.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [v, row] of versionRows) expect(JSON.stringify(row)).toBe(JSON.stringify(expected.get(v)));
    }
  });

  test('an event that changes nothing hands back the same working row (nothing is rewritten for it)', () => {
    const events = history();
    let model: ModelWork | undefined;
    for (const e of events.slice(0, 3)) model = evolveModelWork(model, e);
    const first = evolveVersionWork(undefined, events[1], 1)!;
    const aliasSet = events.find((e) => e.type === 'AliasSet')!;
    expect(evolveVersionWork(first, aliasSet, 1)).toBe(first);
    expect(evolveModelWork(undefined, events[1])).toBeUndefined();
    expect(evolveModelWork(model, { ...aliasSet, stream: 'not-a-model' })).toBe(model);
  });
});
