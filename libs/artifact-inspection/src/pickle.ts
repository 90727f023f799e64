import { type ByteSource, u16le, u32le, u64le } from './source.ts';

/**
 * Globals a pickle may import and still be data: constructors of containers, arrays and tensors.
 * Anything else (os.system, builtins.eval, subprocess.Popen, posix.system, runpy._run_code, ...)
 * can run code when the pickle is loaded. Keep this list short: each entry must only build data.
 */
export const SAFE_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  'collections.defaultdict',
  'builtins.set',
  'builtins.frozenset',
  'builtins.bytearray',
  'builtins.complex',
  'builtins.slice',
  'builtins.range',
  '__builtin__.set',
  '__builtin__.frozenset',
  'copy_reg._reconstructor',
  'copyreg._reconstructor',
  '_codecs.encode',
  'numpy.core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray._reconstruct',
  'numpy._core.multiarray.scalar',
  'numpy.ndarray',
  'numpy.dtype',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_qtensor',
  'torch._tensor._rebuild_from_type_v2',
  'torch.Size',
  'torch.device',
  ...['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool', 'ComplexFloat', 'ComplexDouble', 'Untyped'].map(
    (t) => `torch.${t}Storage`,
  ),
  ...['float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool', 'complex64', 'complex128'].map((t) => `torch.${t}`),
]);

export interface PickleScan {
  /** Every imported or called global, in order of first appearance. */
  globals: string[];
  unsafeGlobals: string[];
  /** Why the walk could not finish or a construct could not be checked; any entry makes the pickle unsafe. */
  problems: string[];
  protocol: number;
  /** Bytes consumed by the pickle stream(s). */
  length: number;
  /** Number of pickles found back to back (torch's legacy format and joblib write several). */
  pickles: number;
}

type Value = { kind: 'str'; value: string } | { kind: 'global'; name: string } | { kind: 'mark' } | { kind: 'other' };
const OTHER: Value = { kind: 'other' };
const MAX_STACK = 1_000_000;

/** Buffered sequential reader over a ByteSource. */
class Reader {
  pos: number;
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  private readonly src: ByteSource;
  constructor(src: ByteSource, start: number) {
    this.src = src;
    this.pos = start;
  }
  get eof(): boolean {
    return this.pos >= this.src.size;
  }
  bytes(n: number): Uint8Array {
    if (!Number.isFinite(n) || n < 0 || this.pos + n > this.src.size) throw new Error(`truncated at byte ${this.pos} (needs ${n} more)`);
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.length) {
      if (n > 1 << 16) {
        const out = this.src.read(this.pos, n);
        this.pos += n;
        return out;
      }
      this.bufStart = this.pos;
      this.buf = this.src.read(this.pos, 1 << 16);
    }
    const at = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(at, at + n);
  }
  skip(n: number): void {
    if (!Number.isFinite(n) || n < 0 || this.pos + n > this.src.size) throw new Error(`truncated at byte ${this.pos} (needs ${n} more)`);
    this.pos += n;
  }
  byte(): number {
    return this.bytes(1)[0];
  }
  line(): string {
    let s = '';
    for (;;) {
      const c = this.byte();
      if (c === 0x0a) return s;
      s += String.fromCharCode(c);
      if (s.length > 65536) throw new Error('text argument longer than 64 KiB');
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const latin1 = (b: Uint8Array): string => Array.from(b, (c) => String.fromCharCode(c)).join('');

/**
 * Walks a pickle's opcodes without loading it: a small stack machine that tracks only strings and
 * globals, so STACK_GLOBAL names hidden behind the memo are still resolved. Never executes anything.
 */
export function scanPickle(src: ByteSource, start = 0): PickleScan {
  const r = new Reader(src, start);
  const globals: string[] = [];
  const problems: string[] = [];
  let protocol = 0;
  let pickles = 0;
  const seen = new Set<string>();
  const addGlobal = (name: string) => {
    if (!seen.has(name)) {
      seen.add(name);
      globals.push(name);
    }
  };
  for (;;) {
    const done = walkOne();
    if (!done) break;
    pickles++;
    // Another pickle may follow (torch legacy format); only a PROTO opcode starts one we follow.
    if (r.eof || src.read(r.pos, 1)[0] !== 0x80) break;
  }
  const unsafeGlobals = globals.filter((g) => !SAFE_GLOBALS.has(g));
  return { globals, unsafeGlobals, problems, protocol, length: r.pos - start, pickles };

  /** Walks one pickle up to STOP; false when it could not be walked to the end. */
  function walkOne(): boolean {
    const stack: Value[] = [];
    const memo = new Map<number, Value>();
    const push = (v: Value) => {
      if (stack.length >= MAX_STACK) throw new Error('stack deeper than 1,000,000 items');
      stack.push(v);
    };
    const pop = (): Value => {
      const v = stack.pop();
      if (!v) throw new Error(`stack underflow at byte ${r.pos - 1}`);
      return v;
    };
    const popMark = (): Value[] => {
      const items: Value[] = [];
      for (;;) {
        const v = pop();
        if (v.kind === 'mark') return items.reverse();
        items.push(v);
      }
    };
    const callTarget = (callable: Value, opcode: string) => {
      if (callable.kind === 'global') addGlobal(callable.name);
      else problems.push(`${opcode} at byte ${r.pos - 1} calls something that is not a named global`);
    };
    const str = (v: Value): string | undefined => (v.kind === 'str' ? v.value : undefined);
    try {
      for (;;) {
        const at = r.pos;
        const op = r.byte();
        switch (op) {
          case 0x80: // PROTO
            protocol = Math.max(protocol, r.byte());
            break;
          case 0x95: // FRAME
            r.skip(8);
            break;
          case 0x2e: // STOP
            return true;
          case 0x28: // MARK
            push({ kind: 'mark' });
            break;
          // --- constants
          case 0x4e: case 0x88: case 0x89: // NONE NEWTRUE NEWFALSE
          case 0x29: case 0x5d: case 0x7d: case 0x8f: // EMPTY_TUPLE EMPTY_LIST EMPTY_DICT EMPTY_SET
            push(OTHER);
            break;
          case 0x49: case 0x4c: case 0x46: // INT LONG FLOAT (text)
            r.line();
            push(OTHER);
            break;
          case 0x4a: r.skip(4); push(OTHER); break; // BININT
          case 0x4b: r.skip(1); push(OTHER); break; // BININT1
          case 0x4d: r.skip(2); push(OTHER); break; // BININT2
          case 0x47: r.skip(8); push(OTHER); break; // BINFLOAT
          case 0x8a: r.skip(r.byte()); push(OTHER); break; // LONG1
          case 0x8b: r.skip(u32le(r.bytes(4))); push(OTHER); break; // LONG4
          // --- strings (tracked: STACK_GLOBAL takes its names from the stack)
          case 0x53: { // STRING 'text'
            const s = r.line();
            push({ kind: 'str', value: s.replace(/^(['"])(.*)\1$/s, '$2') });
            break;
          }
          case 0x54: push({ kind: 'str', value: latin1(r.bytes(u32le(r.bytes(4)))) }); break; // BINSTRING
          case 0x55: push({ kind: 'str', value: latin1(r.bytes(r.byte())) }); break; // SHORT_BINSTRING
          case 0x56: push({ kind: 'str', value: r.line() }); break; // UNICODE (raw-unicode-escape; names are ASCII)
          case 0x58: push({ kind: 'str', value: utf8.decode(r.bytes(u32le(r.bytes(4)))) }); break; // BINUNICODE
          case 0x8c: push({ kind: 'str', value: utf8.decode(r.bytes(r.byte())) }); break; // SHORT_BINUNICODE
          case 0x8d: push({ kind: 'str', value: utf8.decode(r.bytes(u64le(r.bytes(8)))) }); break; // BINUNICODE8
          case 0x42: r.skip(u32le(r.bytes(4))); push(OTHER); break; // BINBYTES
          case 0x43: r.skip(r.byte()); push(OTHER); break; // SHORT_BINBYTES
          case 0x8e: case 0x96: r.skip(u64le(r.bytes(8))); push(OTHER); break; // BINBYTES8 BYTEARRAY8
          case 0x97: push(OTHER); break; // NEXT_BUFFER
          case 0x98: break; // READONLY_BUFFER
          // --- containers
          case 0x74: case 0x6c: case 0x64: case 0x91: // TUPLE LIST DICT FROZENSET
            popMark();
            push(OTHER);
            break;
          case 0x85: pop(); push(OTHER); break; // TUPLE1
          case 0x86: pop(); pop(); push(OTHER); break; // TUPLE2
          case 0x87: pop(); pop(); pop(); push(OTHER); break; // TUPLE3
          case 0x61: pop(); break; // APPEND
          case 0x65: case 0x75: case 0x90: popMark(); break; // APPENDS SETITEMS ADDITEMS
          case 0x73: pop(); pop(); break; // SETITEM
          case 0x62: pop(); break; // BUILD (calls __setstate__ of an object already checked)
          // --- stack and memo
          case 0x30: pop(); break; // POP
          case 0x31: popMark(); break; // POP_MARK
          case 0x32: { // DUP
            const v = pop();
            push(v);
            push(v);
            break;
          }
          case 0x70: memo.set(Number(r.line()), stack.at(-1) ?? OTHER); break; // PUT
          case 0x71: memo.set(r.byte(), stack.at(-1) ?? OTHER); break; // BINPUT
          case 0x72: memo.set(u32le(r.bytes(4)), stack.at(-1) ?? OTHER); break; // LONG_BINPUT
          case 0x94: memo.set(memo.size, stack.at(-1) ?? OTHER); break; // MEMOIZE
          case 0x67: push(memo.get(Number(r.line())) ?? OTHER); break; // GET
          case 0x68: push(memo.get(r.byte()) ?? OTHER); break; // BINGET
          case 0x6a: push(memo.get(u32le(r.bytes(4))) ?? OTHER); break; // LONG_BINGET
          case 0x50: r.line(); push(OTHER); break; // PERSID (resolved by the loader's persistent_load)
          case 0x51: pop(); push(OTHER); break; // BINPERSID
          // --- imports and calls: what this scanner is for
          case 0x63: { // GLOBAL module\nname\n
            const module = r.line();
            const name = r.line();
            addGlobal(`${module}.${name}`);
            push({ kind: 'global', name: `${module}.${name}` });
            break;
          }
          case 0x93: { // STACK_GLOBAL
            const name = str(pop());
            const module = str(pop());
            if (module === undefined || name === undefined) {
              problems.push(`STACK_GLOBAL at byte ${at} imports a name that is not a plain string`);
              push(OTHER);
            } else {
              addGlobal(`${module}.${name}`);
              push({ kind: 'global', name: `${module}.${name}` });
            }
            break;
          }
          case 0x69: { // INST module\nname\n: import + call with the marked arguments
            const module = r.line();
            const name = r.line();
            addGlobal(`${module}.${name}`);
            popMark();
            push(OTHER);
            break;
          }
          case 0x6f: { // OBJ: class and arguments since the mark
            const items = popMark();
            callTarget(items[0] ?? OTHER, 'OBJ');
            push(OTHER);
            break;
          }
          case 0x52: { // REDUCE callable args
            pop();
            callTarget(pop(), 'REDUCE');
            push(OTHER);
            break;
          }
          case 0x81: { // NEWOBJ cls args
            pop();
            callTarget(pop(), 'NEWOBJ');
            push(OTHER);
            break;
          }
          case 0x92: { // NEWOBJ_EX cls args kwargs
            pop();
            pop();
            callTarget(pop(), 'NEWOBJ_EX');
            push(OTHER);
            break;
          }
          case 0x82: case 0x83: case 0x84: { // EXT1/2/4: a global from the copyreg extension registry
            const code = op === 0x82 ? r.byte() : op === 0x83 ? u16le(r.bytes(2)) : u32le(r.bytes(4));
            problems.push(`EXT opcode at byte ${at} imports extension code ${code}, which cannot be checked`);
            push(OTHER);
            break;
          }
          default:
            throw new Error(`unknown opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
        }
      }
    } catch (e) {
      problems.push(`pickle could not be walked to its end: ${(e as Error).message}`);
      return false;
    }
  }
}

/** True when the bytes start like a pickle: PROTO 2-5, or a protocol-0/1 stream that walks to STOP. */
export function looksLikePickle(src: ByteSource): boolean {
  const head = src.read(0, 2);
  if (head.length < 2) return false;
  if (head[0] === 0x80) return head[1] >= 2 && head[1] <= 5;
  if (!'(]}cl'.includes(String.fromCharCode(head[0]))) return false;
  const scan = scanPickle(src);
  return scan.pickles > 0;
}
