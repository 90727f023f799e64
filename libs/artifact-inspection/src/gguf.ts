import { type ByteSource, u32le, u64le } from './source.ts';
import { report, type InspectionReport } from './types.ts';

/** llama.cpp's LLAMA_FTYPE values (general.file_type). */
const FILE_TYPES: Record<number, string> = {
  0: 'ALL_F32', 1: 'MOSTLY_F16', 2: 'MOSTLY_Q4_0', 3: 'MOSTLY_Q4_1', 7: 'MOSTLY_Q8_0', 8: 'MOSTLY_Q5_0', 9: 'MOSTLY_Q5_1',
  10: 'MOSTLY_Q2_K', 11: 'MOSTLY_Q3_K_S', 12: 'MOSTLY_Q3_K_M', 13: 'MOSTLY_Q3_K_L', 14: 'MOSTLY_Q4_K_S', 15: 'MOSTLY_Q4_K_M',
  16: 'MOSTLY_Q5_K_S', 17: 'MOSTLY_Q5_K_M', 18: 'MOSTLY_Q6_K', 19: 'MOSTLY_IQ2_XXS', 20: 'MOSTLY_IQ2_XS', 21: 'MOSTLY_Q2_K_S',
  22: 'MOSTLY_IQ3_XS', 23: 'MOSTLY_IQ3_XXS', 24: 'MOSTLY_IQ1_S', 25: 'MOSTLY_IQ4_NL', 26: 'MOSTLY_IQ3_S', 27: 'MOSTLY_IQ3_M',
  28: 'MOSTLY_IQ2_S', 29: 'MOSTLY_IQ2_M', 30: 'MOSTLY_IQ4_XS', 31: 'MOSTLY_IQ1_M', 32: 'MOSTLY_BF16', 36: 'MOSTLY_TQ1_0', 37: 'MOSTLY_TQ2_0',
};
/** ggml_type of each tensor. */
const GGML_TYPES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K', 12: 'Q4_K',
  13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S',
  22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M', 30: 'BF16', 34: 'TQ1_0', 35: 'TQ2_0',
};
const SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const MAX_COUNT = 1 << 24;

export function looksLikeGguf(src: ByteSource): boolean {
  const h = src.read(0, 4);
  return h.length === 4 && h[0] === 0x47 && h[1] === 0x47 && h[2] === 0x55 && h[3] === 0x46;
}

/** Reads the GGUF header, metadata and tensor infos (never the tensor data). */
export function inspectGguf(src: ByteSource): InspectionReport {
  let pos = 4;
  const take = (n: number): Uint8Array => {
    if (!Number.isFinite(n) || pos + n > src.size) throw new Error(`truncated at byte ${pos} (needs ${n} more)`);
    const b = src.read(pos, n);
    pos += n;
    return b;
  };
  const u32 = () => u32le(take(4));
  const u64 = () => u64le(take(8));
  const count = (what: string, v: number) => {
    if (v > MAX_COUNT) throw new Error(`${what} ${v} is implausibly large`);
    return v;
  };
  try {
    const version = u32();
    if (version < 1 || version > 3) throw new Error(`unsupported GGUF version ${version}`);
    const len = () => (version === 1 ? u32() : u64());
    const str = () => {
      const n = len();
      if (n > 1 << 24) throw new Error(`string of ${n} bytes at byte ${pos}`);
      return new TextDecoder().decode(take(n));
    };
    const tensorCount = count('tensor count', len());
    const kvCount = count('metadata count', len());
    const metadata: Record<string, string | number | boolean> = {};
    const keys: string[] = [];
    const value = (type: number): string | number | boolean | undefined => {
      if (type === 8) return str();
      if (type === 9) {
        const inner = u32();
        const n = count('array length', len());
        if (inner === 8 || inner === 9) for (let i = 0; i < n; i++) value(inner);
        else if (SCALAR_SIZE[inner] !== undefined) take(SCALAR_SIZE[inner] * n);
        else throw new Error(`unknown array element type ${inner}`);
        return `[${n} items]`;
      }
      const size = SCALAR_SIZE[type];
      if (size === undefined) throw new Error(`unknown metadata value type ${type} at byte ${pos}`);
      const b = take(size);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      switch (type) {
        case 0: return dv.getUint8(0);
        case 1: return dv.getInt8(0);
        case 2: return dv.getUint16(0, true);
        case 3: return dv.getInt16(0, true);
        case 4: return dv.getUint32(0, true);
        case 5: return dv.getInt32(0, true);
        case 6: return dv.getFloat32(0, true);
        case 7: return b[0] !== 0;
        case 10: return Number(dv.getBigUint64(0, true));
        case 11: return Number(dv.getBigInt64(0, true));
        default: return dv.getFloat64(0, true);
      }
    };
    for (let i = 0; i < kvCount; i++) {
      const key = str();
      const v = value(u32());
      keys.push(key);
      if (v !== undefined) metadata[key] = v;
    }
    const tensorTypes: Record<string, number> = {};
    for (let i = 0; i < tensorCount; i++) {
      str();
      const dims = u32();
      if (dims > 8) throw new Error(`tensor ${i} has ${dims} dimensions`);
      take(dims * (version === 1 ? 4 : 8));
      const t = GGML_TYPES[u32()] ?? 'unknown';
      tensorTypes[t] = (tensorTypes[t] ?? 0) + 1;
      u64();
    }
    const fileType = typeof metadata['general.file_type'] === 'number' ? (metadata['general.file_type'] as number) : undefined;
    const quantization = fileType !== undefined ? (FILE_TYPES[fileType] ?? `file_type ${fileType}`) : Object.keys(tensorTypes).sort().join(',');
    const architecture = typeof metadata['general.architecture'] === 'string' ? (metadata['general.architecture'] as string) : undefined;
    return report('gguf', {
      facts: {
        ggufVersion: version,
        tensors: tensorCount,
        ...(architecture ? { architecture } : {}),
        quantization,
        ...(typeof metadata['general.name'] === 'string' ? { name: metadata['general.name'] as string } : {}),
      },
      details: { metadataKeys: keys, metadata, tensorTypes },
    });
  } catch (e) {
    return report('gguf', { valid: false, errors: [(e as Error).message] });
  }
}
