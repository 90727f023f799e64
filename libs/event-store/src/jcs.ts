/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the byte-exact serialisation the audit hash chain
 * is computed over.
 *
 * - Object members sorted by their names' UTF-16 code units (JavaScript's default string order);
 *   no whitespace anywhere.
 * - Numbers in the ECMAScript Number.prototype.toString form (shortest round-trip; -0 is "0";
 *   exponent from 1e21 up and below 1e-6). NaN and ±Infinity are not JSON and are refused.
 * - Strings escaped as JSON.stringify does: `"` `\` and U+0000–U+001F only (with \b \t \n \f \r
 *   short forms); everything else is emitted as is and encoded as UTF-8. Lone surrogates are refused.
 * - As with JSON.stringify, `toJSON()` is honoured and `undefined` members are omitted, so the
 *   canonical form of a value equals the canonical form of its JSON round trip.
 */
export function canonicalize(value: unknown): string {
  const out: string[] = [];
  write(value, out, false);
  return out.join('');
}

export class CanonicalizationError extends Error {}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function writeString(s: string, out: string[]): void {
  if (LONE_SURROGATE.test(s)) throw new CanonicalizationError('a string contains a lone surrogate, which has no UTF-8 form');
  out.push(JSON.stringify(s));
}

function write(value: unknown, out: string[], inArray: boolean): void {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  switch (typeof value) {
    case 'string':
      writeString(value, out);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalizationError(`${value} is not a JSON number`);
      // ES Number-to-string is exactly the JCS number form; it also prints -0 as "0".
      out.push(String(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'bigint':
      throw new CanonicalizationError('a bigint is not a JSON number');
    case 'undefined':
    case 'function':
    case 'symbol':
      // JSON.stringify writes these as null inside arrays (and the caller skips them as members).
      if (inArray) {
        out.push('null');
        return;
      }
      throw new CanonicalizationError(`a ${typeof value} is not a JSON value`);
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      write(value[i], out, true);
    }
    out.push(']');
    return;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  out.push('{');
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (!first) out.push(',');
    first = false;
    writeString(k, out);
    out.push(':');
    write(v, out, false);
  }
  out.push('}');
}
