import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { expectNothingWritten, SEC_ENV } from '../support/sec.js';

/**
 * The authorization table of docs/GOVERNANCE.md, cell by cell: every stage transition and every
 * alias operation is tried with every scope set on a fresh model in the cell's starting state.
 * A scope set that lacks the cell's scope gets 403 MISSING_SCOPE naming it and writes nothing;
 * one that holds it gets the cell's domain answer (200, or the 4xx that the state dictates).
 * The expectations are written out here, not derived from the decider, so the test can disagree.
 */

const W = 'registry:write';
const P = 'registry:promote';

/** Which of registry:write / registry:promote each scope set grants on models named `tbl-*`. */
const SCOPE_SETS: { name: string; scopes: string[]; grants: string[] }[] = [
  { name: 'read', scopes: ['registry:read'], grants: [] },
  { name: 'gates+approvals+audit', scopes: ['registry:read', 'gates:write', 'approvals:write', 'audit:read'], grants: [] },
  { name: 'write', scopes: ['registry:read', W], grants: [W] },
  { name: 'promote', scopes: ['registry:read', P], grants: [P] },
  { name: 'write+promote', scopes: ['registry:read', W, P], grants: [W, P] },
  { name: 'write:tbl-*', scopes: ['registry:read', `${W}:tbl-*`], grants: [W] },
  { name: 'promote:tbl-*', scopes: ['registry:read', `${P}:tbl-*`], grants: [P] },
  { name: 'write:fraud-* promote:fraud-*', scopes: ['registry:read', `${W}:fraud-*`, `${P}:fraud-*`], grants: [] },
  { name: 'write promote:fraud-*', scopes: ['registry:read', W, `${P}:fraud-*`], grants: [W] },
];

type Step = 'approved' | 'staged' | 'promoted' | 'archived' | 'canary' | 'champion' | 'superseded';
interface Cell {
  name: string;
  /** The scope the cell needs; 'route' = the route's own check (write or promote), the body is then refused. */
  scope: typeof W | typeof P | 'route';
  /** Starting state of version 1.0.0 (1.1.0 is registered and approved alongside). */
  setup: Step[];
  act: (model: string) => { method: string; path: string; body?: unknown };
  /** The answer for a scope set that holds `scope`. */
  allowed: { status: number; code?: string };
}

const transition = (stage: string) => (m: string) => ({ method: 'POST', path: `/v1/models/${m}/versions/1.0.0/transitions`, body: { stage, reason: 'table' } });
const putAlias = (alias: string, version: string) => (m: string) => ({ method: 'PUT', path: `/v1/models/${m}/aliases/${alias}`, body: { version } });
const deleteAlias = (alias: string) => (m: string) => ({ method: 'DELETE', path: `/v1/models/${m}/aliases/${alias}?reason=table` });

const FROM: Record<string, Step[]> = { None: [], Staging: ['staged'], Production: ['promoted'], Archived: ['archived'] };
const ok = { status: 200 };
const TRANSITIONS: [from: string, to: string, scope: Cell['scope'], allowed: Cell['allowed']][] = [
  ['None', 'None', 'route', { status: 400 }],
  ['None', 'Staging', W, ok],
  ['None', 'Production', P, ok],
  ['None', 'Archived', P, ok],
  ['Staging', 'None', 'route', { status: 400 }],
  ['Staging', 'Staging', W, { status: 409, code: 'ALREADY_IN_STAGE' }],
  ['Staging', 'Production', P, ok],
  ['Staging', 'Archived', P, ok],
  ['Production', 'None', 'route', { status: 400 }],
  ['Production', 'Staging', P, ok],
  ['Production', 'Production', P, { status: 409, code: 'ALREADY_IN_STAGE' }],
  ['Production', 'Archived', P, ok],
  ['Archived', 'None', 'route', { status: 400 }],
  ['Archived', 'Staging', P, ok],
  ['Archived', 'Production', P, { status: 409, code: 'ARCHIVED_VERSION_USE_ROLLBACK' }],
  ['Archived', 'Archived', P, { status: 409, code: 'ALREADY_IN_STAGE' }],
];

const CELLS: Cell[] = [
  ...TRANSITIONS.map(([from, to, scope, allowed]): Cell => ({ name: `transition ${from} → ${to}`, scope, setup: FROM[from], act: transition(to), allowed })),
  { name: 'set plain alias @canary', scope: W, setup: [], act: putAlias('canary', '1.0.0'), allowed: ok },
  { name: 'move plain alias @canary', scope: W, setup: ['canary'], act: putAlias('canary', '1.1.0'), allowed: ok },
  { name: 'delete plain alias @canary', scope: W, setup: ['canary'], act: deleteAlias('canary'), allowed: ok },
  { name: 'set protected alias @champion', scope: P, setup: [], act: putAlias('champion', '1.0.0'), allowed: ok },
  { name: 'move protected alias @champion', scope: P, setup: ['champion'], act: putAlias('champion', '1.1.0'), allowed: ok },
  { name: 'delete protected alias @champion', scope: P, setup: ['champion'], act: deleteAlias('champion'), allowed: ok },
  { name: 'set @prod (a promotion)', scope: P, setup: [], act: putAlias('prod', '1.0.0'), allowed: ok },
  { name: 'move @prod (a promotion)', scope: P, setup: ['promoted'], act: putAlias('prod', '1.1.0'), allowed: ok },
  { name: 'delete @prod', scope: P, setup: ['promoted'], act: deleteAlias('prod'), allowed: { status: 409, code: 'PROD_ALIAS_FOLLOWS_STAGE' } },
  {
    name: 'rollback (moves @prod back)',
    scope: P,
    setup: ['promoted', 'superseded'],
    act: (m) => ({ method: 'POST', path: `/v1/models/${m}/rollback`, body: { toVersion: '1.0.0', reason: 'table' } }),
    allowed: ok,
  },
];

describe('authorization table: every cell with every scope set', () => {
  let t: TestApp;
  let alice: string;
  let bob: string;
  let admin: string;
  const tokens = new Map<string, string>();
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp('sqlite', SEC_ENV);
    alice = await t.token('alice', ['registry:read', 'registry:write']);
    bob = await t.token('bob', ['registry:read', 'approvals:write']);
    admin = await t.token('admin', ['registry:read', W, P]);
    for (const set of SCOPE_SETS) tokens.set(set.name, await t.token('caller', set.scopes));
  });
  afterAll(async () => {
    await t.close();
  });

  async function must(method: string, path: string, token: string, body?: unknown): Promise<void> {
    const r = await t.call(method, path, { token, body });
    if (r.status !== 200 && r.status !== 201) throw new Error(`setup ${method} ${path} → ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** A fresh model with 1.0.0 and 1.1.0 registered and approved, then brought into the cell's state. */
  async function freshModel(steps: Step[]): Promise<string> {
    const m = `tbl-${++seq}`;
    await must('POST', '/v1/models', alice, { name: m });
    for (const [version, n] of [['1.0.0', 1], ['1.1.0', 2]] as const) {
      await must('POST', `/v1/models/${m}/versions`, alice, versionBody(version, seq * 10 + n));
      await must('POST', `/v1/models/${m}/versions/${version}/approvals`, bob, { decision: 'approve' });
    }
    const stage = (version: string, s: string) => must('POST', `/v1/models/${m}/versions/${version}/transitions`, admin, { stage: s });
    for (const step of steps) {
      if (step === 'staged') await stage('1.0.0', 'Staging');
      if (step === 'promoted') await stage('1.0.0', 'Production');
      if (step === 'archived') await stage('1.0.0', 'Archived');
      if (step === 'superseded') await stage('1.1.0', 'Production');
      if (step === 'canary' || step === 'champion') await must('PUT', `/v1/models/${m}/aliases/${step}`, admin, { version: '1.0.0' });
    }
    return m;
  }

  test.each(CELLS.map((c) => [c.name, c] as const))('%s', async (_name, cell) => {
    const holds = (set: (typeof SCOPE_SETS)[number]) => (cell.scope === 'route' ? set.grants.length > 0 : set.grants.includes(cell.scope));
    const writes = (set: (typeof SCOPE_SETS)[number]) => holds(set) && cell.allowed.status === 200;
    // Attempts that must write nothing share one model (each is checked to have left the store as
    // it was); each attempt that changes state gets its own. Set-ups run together (different
    // models); attempts run one by one so "nothing written" is judged on the whole store.
    const [shared, ...own] = await Promise.all([freshModel(cell.setup), ...SCOPE_SETS.filter(writes).map(() => freshModel(cell.setup))]);
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const set of SCOPE_SETS) {
      const { method, path, body } = cell.act(writes(set) ? own.shift()! : shared);
      const call = () => t.call(method, path, { token: tokens.get(set.name)!, body });
      const before = await t.store.headPosition();
      const r = writes(set) ? await call() : await expectNothingWritten(t, call);
      outcomes.push(`${set.name}: ${r.status}${r.status === 200 || r.status === 400 ? '' : ` ${r.body?.code}`}`);
      if (!holds(set)) {
        expected.push(`${set.name}: 403 MISSING_SCOPE`);
        expect(r.headers.get('content-type')).toContain('application/problem+json');
        // The refusal names the scope needed (the route's own check names both scopes it accepts).
        expect([r.body.requiredScope].flat()).toEqual(expect.arrayContaining(cell.scope === 'route' ? [W, P] : [cell.scope]));
      } else {
        expected.push(`${set.name}: ${cell.allowed.status}${cell.allowed.code ? ` ${cell.allowed.code}` : ''}`);
        if (writes(set)) expect(await t.store.headPosition()).toBeGreaterThan(before);
      }
    }
    expect(outcomes).toEqual(expected);
  });
});
