import { DomainError } from '../../domain/src/errors.js';

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
  try {
    write(value, out, false);
  } catch (err) {
    // A value nested deeper than the stack allows has no canonical form here either.
    if (err instanceof RangeError) throw new CanonicalizationError('the value is nested too deeply to canonicalize', 'maxDepth');
    throw err;
  }
  return out.join('');
}

/**
 * The value has no JSON/JCS form (a lone surrogate, a non-finite number, a bigint...). A
 * validation error with a stable code, naming the member, so it reaches a client as a 4xx.
 */
export class CanonicalizationError extends DomainError {
  private readonly path: (string | number)[] = [];
  constructor(
    readonly why: string,
    readonly rule: string,
  ) {
    super('NOT_CANONICAL_JSON', 'validation', why, [{ field: '', rule, message: why }]);
    this.name = 'CanonicalizationError';
  }
  /** Called while unwinding, so the path costs nothing on the success path. */
  within(segment: string | number): this {
    this.path.unshift(segment);
    const field = this.path.join('.');
    this.details[0] = { field, rule: this.rule, message: `${field}: ${this.why}` };
    this.message = `${field}: ${this.why}`;
    return this;
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** False when the string holds a lone UTF-16 surrogate (String.prototype.isWellFormed, ES2024). */
export const isWellFormedText = (s: string): boolean => !LONE_SURROGATE.test(s);

function writeString(s: string, out: string[]): void {
  if (LONE_SURROGATE.test(s)) throw new CanonicalizationError('a string contains a lone surrogate, which has no UTF-8 form', 'wellFormedUnicode');
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
      if (!Number.isFinite(value)) throw new CanonicalizationError(`${value} is not a JSON number`, 'finiteNumber');
      // ES Number-to-string is exactly the JCS number form; it also prints -0 as "0".
      out.push(String(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'bigint':
      throw new CanonicalizationError('a bigint is not a JSON number', 'jsonValue');
    case 'undefined':
    case 'function':
    case 'symbol':
      // JSON.stringify writes these as null inside arrays (and the caller skips them as members).
      if (inArray) {
        out.push('null');
        return;
      }
      throw new CanonicalizationError(`a ${typeof value} is not a JSON value`, 'jsonValue');
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      try {
        write(value[i], out, true);
      } catch (err) {
        throw err instanceof CanonicalizationError ? err.within(i) : err;
      }
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
    try {
      writeString(k, out);
      out.push(':');
      write(v, out, false);
    } catch (err) {
      throw err instanceof CanonicalizationError ? err.within(k) : err;
    }
  }
  out.push('}');
}
