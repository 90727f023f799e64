import { canonicalize, CanonicalizationError } from './jcs.js';
import { GENESIS_HASH, eventHash, hashInput, sha256Hex } from './hash-chain.js';

function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('RFC 8785 canonicalisation', () => {
  test('sorts members by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",' +
        '"\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    );
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test('RFC 8785 §3.2.2 example: whitespace, literals, numbers and string escapes', () => {
    const input = JSON.parse(
      '{\n  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n' +
        '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "literals": [null, true, false]\n}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  test.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('number with IEEE 754 bits %s serialises as %s (RFC 8785 Appendix B)', (bits, expected) => {
    expect(canonicalize(fromBits(bits))).toBe(expected);
  });

  test('NaN, Infinity, bigint and lone surrogates are refused', () => {
    expect(() => canonicalize(fromBits('7fffffffffffffff'))).toThrow(CanonicalizationError);
    expect(() => canonicalize(fromBits('7ff0000000000000'))).toThrow(CanonicalizationError);
    expect(() => canonicalize({ n: 1n })).toThrow(CanonicalizationError);
    expect(() => canonicalize('\ud800')).toThrow(CanonicalizationError);
    expect(() => canonicalize({ '\udc00': 1 })).toThrow(CanonicalizationError);
  });

  test('nested structures, undefined members and toJSON behave as their JSON round trip', () => {
    const value = { b: [1, undefined, { z: 1, a: [] }], a: undefined, c: new Date('2026-03-03T14:00:00.000Z'), d: {} };
    expect(canonicalize(value)).toBe('{"b":[1,null,{"a":[],"z":1}],"c":"2026-03-03T14:00:00.000Z","d":{}}');
    expect(canonicalize(value)).toBe(canonicalize(JSON.parse(JSON.stringify(value))));
  });
});

describe('event hash input', () => {
  const fields = {
    id: '0190c1c2-0000-7000-8000-000000000001',
    type: 'VersionPromoted',
    stream: 'model-churn',
    revision: 7,
    position: 42,
    recordedAt: '2026-03-03T14:00:00.000Z',
    schemaVersion: 1,
    prevHash: GENESIS_HASH,
  };
  const data = { version: '1.2.0', from: 'Staging', to: 'Production' };
  const metadata = { actor: { sub: 'rm', scopes: ['registry:promote'] }, correlationId: 'c-1', reason: 'release ✓' };

  test('is exactly the canonical form of the whole envelope with prevHash', () => {
    const text = hashInput(fields, canonicalize(data), canonicalize(metadata));
    expect(text).toBe(canonicalize({ ...fields, data, metadata }));
    expect(eventHash(fields, data, metadata)).toBe(sha256Hex(canonicalize({ ...fields, data, metadata })));
    expect(eventHash(fields, data, metadata)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('changes when any covered field changes', () => {
    const base = eventHash(fields, data, metadata);
    expect(eventHash({ ...fields, position: 43 }, data, metadata)).not.toBe(base);
    expect(eventHash({ ...fields, prevHash: 'f'.repeat(64) }, data, metadata)).not.toBe(base);
    expect(eventHash(fields, { ...data, version: '1.2.1' }, metadata)).not.toBe(base);
    expect(eventHash(fields, data, { ...metadata, reason: 'x' })).not.toBe(base);
    // Member order in the input does not matter: the form is canonical.
    expect(eventHash(fields, { to: 'Production', from: 'Staging', version: '1.2.0' }, metadata)).toBe(base);
  });
});
