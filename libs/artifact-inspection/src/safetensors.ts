import { type ByteSource, u64le } from './source.ts';
import { report, type InspectionReport } from './types.ts';

/** Bytes per element; sub-byte types are counted in bits. */
const DTYPE_BITS: Record<string, number> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32, I64: 64, U64: 64, F64: 64, C64: 64, F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};
/** The reference implementation refuses headers above 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Cheap check used for detection: a plausible header length followed by '{'. */
export function looksLikeSafetensors(src: ByteSource): boolean {
  const head = src.read(0, 9);
  if (head.length < 9) return false;
  const n = u64le(head);
  return n >= 2 && n <= MAX_HEADER_BYTES && n <= src.size - 8 && head[8] === 0x7b;
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Validates the header: length, JSON, dtypes, shapes, byte sizes, offsets inside the file, no overlap, no gap. */
export function inspectSafetensors(src: ByteSource): InspectionReport {
  const errors: string[] = [];
  const fail = (msg: string) => report('safetensors', { valid: false, errors: [msg] });
  if (src.size < 8) return fail(`file is ${src.size} bytes; a safetensors file starts with an 8-byte header length`);
  const n = u64le(src.read(0, 8));
  if (n > MAX_HEADER_BYTES) return fail(`header length ${n} exceeds ${MAX_HEADER_BYTES} bytes`);
  if (8 + n > src.size) return fail(`header length ${n} runs past the end of the ${src.size}-byte file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(src.read(8, n)));
  } catch (e) {
    return fail(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('header must be a JSON object');
  const dataSize = src.size - 8 - n;
  const entries: Entry[] = [];
  let metadata: Record<string, string> | undefined;
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string')) {
        errors.push('__metadata__ must map strings to strings');
      } else metadata = raw as Record<string, string>;
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null) {
      errors.push(`tensor '${name}': must be an object with dtype, shape, data_offsets`);
      continue;
    }
    const bits = typeof t.dtype === 'string' ? DTYPE_BITS[t.dtype] : undefined;
    if (bits === undefined) errors.push(`tensor '${name}': unknown dtype ${JSON.stringify(t.dtype)}`);
    const shapeOk = Array.isArray(t.shape) && t.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
    if (!shapeOk) errors.push(`tensor '${name}': shape must be a list of non-negative integers`);
    const off = t.data_offsets;
    const offOk = Array.isArray(off) && off.length === 2 && off.every((d) => Number.isSafeInteger(d) && d >= 0) && off[0] <= off[1];
    if (!offOk) {
      errors.push(`tensor '${name}': data_offsets must be [begin, end] with 0 ≤ begin ≤ end`);
      continue;
    }
    const [begin, end] = off as [number, number];
    if (end > dataSize) errors.push(`tensor '${name}': data_offsets [${begin}, ${end}] end past the data section (${dataSize} bytes)`);
    if (bits !== undefined && shapeOk) {
      const elements = (t.shape as number[]).reduce((a, d) => a * d, 1);
      const bytes = Math.ceil((elements * bits) / 8);
      if (bytes !== end - begin) errors.push(`tensor '${name}': ${t.dtype} ${JSON.stringify(t.shape)} needs ${bytes} bytes but data_offsets span ${end - begin}`);
    }
    entries.push({ name, dtype: String(t.dtype), shape: shapeOk ? (t.shape as number[]) : [], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < cursor && previous) errors.push(`tensor '${e.name}' [${e.begin}, ${e.end}] overlaps tensor '${previous.name}' [${previous.begin}, ${previous.end}]`);
    else if (e.begin > cursor) errors.push(`bytes ${cursor}..${e.begin} of the data section belong to no tensor`);
    if (e.end >= cursor) {
      cursor = e.end;
      previous = e;
    }
  }
  if (errors.length === 0 && cursor !== dataSize) errors.push(`data section is ${dataSize} bytes but tensors cover ${cursor}`);
  const dtypes = [...new Set(entries.map((e) => e.dtype))].sort();
  return report('safetensors', {
    valid: errors.length === 0,
    errors,
    facts: { tensors: entries.length, dtypes: dtypes.join(','), headerBytes: n },
    details: {
      tensors: entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, dataOffsets: [e.begin, e.end] })),
      ...(metadata ? { metadata } : {}),
    },
  });
}
