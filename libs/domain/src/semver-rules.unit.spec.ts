import { judgeVersion, parseRange, satisfies, signatureDiff } from './semver-rules.js';

const sig = (inputs: unknown, outputs: unknown = [{ name: 'p', type: 'double' }]) => ({ inputs, outputs });
const base = sig([{ name: 'tenure', type: 'double' }, { name: 'plan', type: 'string' }]);
const existing = [
  { version: '1.0.0', signature: base, digest: 'd1' },
  { version: '2.3.0', signature: base, digest: 'd2' },
];

describe('signature diff', () => {
  test('names added, removed and retyped fields on each side', () => {
    const after = sig([{ name: 'tenure', type: 'float' }, { name: 'region', type: 'string' }], [{ name: 'label', type: 'string' }]);
    expect(signatureDiff(base, after)).toEqual([
      `inputs: 'tenure' changed {"type":"double"} → {"type":"float"}`,
      `inputs: added 'region' {"type":"string"}`,
      "inputs: removed 'plan'",
      `outputs: added 'label' {"type":"string"}`,
      "outputs: removed 'p'",
    ]);
    expect(signatureDiff(base, sig([{ type: 'double', name: 'tenure' }, { name: 'plan', type: 'string' }]))).toEqual([]);
    expect(signatureDiff(base, undefined)).toEqual([]);
  });
});

describe('version rules', () => {
  test('a schema change needs a MAJOR bump; the refusal carries the diff', () => {
    const changed = sig([{ name: 'tenure', type: 'double' }]);
    const r = judgeVersion({ existing, requested: '2.4.0', signature: changed, digest: 'd3' });
    expect(r).toMatchObject({ ok: false, required: 'major', previous: '2.3.0', bump: 'minor', schemaChanges: ["inputs: removed 'plan'"] });
    expect(judgeVersion({ existing, requested: '3.0.0', signature: changed, digest: 'd3' })).toMatchObject({ ok: true, decision: { bump: 'major', required: 'major' } });
  });

  test('a new artifact with the same schema needs MINOR, or PATCH when declared a fix', () => {
    expect(judgeVersion({ existing, requested: '2.3.1', signature: base, digest: 'd3' })).toMatchObject({ ok: false, required: 'minor', bump: 'patch' });
    expect(judgeVersion({ existing, requested: '2.3.1', signature: base, digest: 'd3', changeKind: 'fix' })).toMatchObject({ ok: true, decision: { bump: 'patch' } });
    expect(judgeVersion({ existing, requested: '2.4.0', signature: base, digest: 'd3' })).toMatchObject({ ok: true, decision: { bump: 'minor', previous: '2.3.0' } });
  });

  test('a lower or equal number than its predecessor is refused; a backport compares with its own line', () => {
    expect(judgeVersion({ existing, requested: '1.0.0', signature: base, digest: 'd3' }).ok).toBe(false);
    expect(judgeVersion({ existing, requested: '1.1.0', signature: base, digest: 'd3' })).toMatchObject({ ok: true, decision: { previous: '1.0.0' } });
  });

  test('an omitted version is assigned from the rule and the reason says why', () => {
    const retrain = judgeVersion({ existing, signature: base, digest: 'd3' });
    expect(retrain).toMatchObject({ ok: true, version: '2.4.0', decision: { assigned: true, bump: 'minor', previous: '2.3.0' } });
    const fix = judgeVersion({ existing, signature: base, digest: 'd3', changeKind: 'fix' });
    expect(fix).toMatchObject({ ok: true, version: '2.3.1' });
    const major = judgeVersion({ existing, signature: sig([]), digest: 'd3' });
    expect(major).toMatchObject({ ok: true, version: '3.0.0' });
    if (major.ok) expect(major.decision.reason).toContain("inputs: removed 'tenure'");
    expect(judgeVersion({ existing: [], signature: base, digest: 'd3' })).toMatchObject({ ok: true, version: '1.0.0', decision: { bump: 'initial', assigned: true } });
  });
});

describe('ranges', () => {
  const inRange = (range: string, versions: string[]) => versions.filter((v) => satisfies(v, parseRange(range)!));
  const all = ['1.9.0', '2.2.9', '2.3.0', '2.3.5', '2.9.1', '3.0.0', '0.2.1', '0.3.0'];
  test('caret, tilde, comparator sets and pip-style lists', () => {
    expect(inRange('^2.3', all)).toEqual(['2.3.0', '2.3.5', '2.9.1']);
    expect(inRange('~2.3', all)).toEqual(['2.3.0', '2.3.5']);
    expect(inRange('>=2.3 <3', all)).toEqual(['2.3.0', '2.3.5', '2.9.1']);
    expect(inRange('>=2.3,<3.0', all)).toEqual(['2.3.0', '2.3.5', '2.9.1']);
    expect(inRange('^0.2.1', all)).toEqual(['0.2.1']);
    expect(inRange('2.x', all)).toEqual(['2.2.9', '2.3.0', '2.3.5', '2.9.1']);
    expect(inRange('2.3.5', all)).toEqual(['2.3.5']);
  });
  test('garbage is not a range', () => {
    expect(parseRange('prod')).toBeNull();
    expect(parseRange('^two')).toBeNull();
    expect(parseRange('')).toBeNull();
  });
});
