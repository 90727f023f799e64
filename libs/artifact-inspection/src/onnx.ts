import type { ByteSource } from './source.ts';
import { report, type InspectionReport, type TensorSpec } from './types.ts';

/**
 * A minimal protobuf reader for ONNX's ModelProto (onnx.proto3): only the fields inspection needs
 * are decoded; everything else, including weight payloads, is skipped by length without reading.
 */
interface Field {
  num: number;
  wire: number;
  /** varint / fixed value (wire 0, 1, 5) */
  int?: bigint;
  /** absolute offset and length of a length-delimited payload (wire 2) */
  off?: number;
  len?: number;
}

class PbReader {
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  private readonly src: ByteSource;
  constructor(src: ByteSource) {
    this.src = src;
  }
  private byteAt(pos: number): number {
    if (pos >= this.src.size) throw new Error(`truncated protobuf at byte ${pos}`);
    if (pos < this.bufStart || pos >= this.bufStart + this.buf.length) {
      this.bufStart = pos;
      this.buf = this.src.read(pos, 1 << 16);
    }
    return this.buf[pos - this.bufStart];
  }
  varint(pos: number): [bigint, number] {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byteAt(pos++);
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return [result, pos];
      shift += 7n;
    }
    throw new Error(`varint longer than 10 bytes at byte ${pos}`);
  }
  /** The fields of the message occupying [start, end). */
  *fields(start: number, end: number): Generator<Field> {
    let pos = start;
    while (pos < end) {
      const [key, p] = this.varint(pos);
      pos = p;
      const num = Number(key >> 3n);
      const wire = Number(key & 7n);
      if (num === 0) throw new Error(`field number 0 at byte ${pos}`);
      if (wire === 0) {
        const [v, q] = this.varint(pos);
        pos = q;
        yield { num, wire, int: v };
      } else if (wire === 1 || wire === 5) {
        const n = wire === 1 ? 8 : 4;
        if (pos + n > end) throw new Error(`truncated fixed field at byte ${pos}`);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.byteAt(pos + i));
        pos += n;
        yield { num, wire, int: v };
      } else if (wire === 2) {
        const [len, q] = this.varint(pos);
        pos = q;
        if (len > BigInt(end - pos)) throw new Error(`field ${num} of length ${len} runs past its message at byte ${pos}`);
        yield { num, wire, off: pos, len: Number(len) };
        pos += Number(len);
      } else {
        throw new Error(`unsupported wire type ${wire} at byte ${pos}`);
      }
    }
    if (pos !== end) throw new Error('message overruns its length');
  }
  string(f: Field): string {
    if (f.wire !== 2) throw new Error(`field ${f.num} should be a string`);
    if (f.len! > 1 << 20) throw new Error(`string field ${f.num} longer than 1 MiB`);
    return new TextDecoder().decode(this.src.read(f.off!, f.len!));
  }
}

/** TensorProto.DataType names as ONNX prints them, e.g. tensor(float). */
const ELEM_TYPES: Record<number, string> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16',
  11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16', 17: 'float8e4m3fn',
  18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1', 24: 'float8e8m0',
  25: 'uint2', 26: 'int2',
};

const num = (f: Field): number => {
  const v = f.int ?? 0n;
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number(BigInt.asIntN(64, v)) : Number(v);
};

function typeOf(pb: PbReader, start: number, end: number): { type: string; shape?: (number | string | null)[] } {
  for (const f of pb.fields(start, end)) {
    if (f.num === 1 && f.wire === 2) {
      // TypeProto.Tensor: elem_type = 1, shape = 2
      let elem = 0;
      let shape: (number | string | null)[] | undefined;
      for (const t of pb.fields(f.off!, f.off! + f.len!)) {
        if (t.num === 1 && t.wire === 0) elem = num(t);
        if (t.num === 2 && t.wire === 2) {
          shape = [];
          for (const d of pb.fields(t.off!, t.off! + t.len!)) {
            if (d.num !== 1 || d.wire !== 2) continue;
            let dim: number | string | null = null;
            for (const x of pb.fields(d.off!, d.off! + d.len!)) {
              if (x.num === 1 && x.wire === 0) dim = num(x);
              if (x.num === 2 && x.wire === 2) dim = pb.string(x);
            }
            shape.push(dim);
          }
        }
      }
      return { type: `tensor(${ELEM_TYPES[elem] ?? `type${elem}`})`, ...(shape ? { shape } : {}) };
    }
    const kinds: Record<number, string> = { 4: 'sequence', 5: 'map', 8: 'sparse_tensor', 9: 'optional' };
    if (kinds[f.num] && f.wire === 2) return { type: kinds[f.num] };
  }
  return { type: 'unknown' };
}

function valueInfo(pb: PbReader, f: Field): TensorSpec {
  let name = '';
  let t: { type: string; shape?: (number | string | null)[] } = { type: 'unknown' };
  for (const x of pb.fields(f.off!, f.off! + f.len!)) {
    if (x.num === 1 && x.wire === 2) name = pb.string(x);
    if (x.num === 2 && x.wire === 2) t = typeOf(pb, x.off!, x.off! + x.len!);
  }
  return { name, ...t };
}

/** Parses ModelProto; throws when the bytes are not one. */
export function parseOnnx(src: ByteSource) {
  const pb = new PbReader(src);
  let irVersion: number | undefined;
  let producer = '';
  let producerVersion = '';
  const opsets: { domain: string; version: number }[] = [];
  let graph: Field | undefined;
  for (const f of pb.fields(0, src.size)) {
    if (f.num === 1 && f.wire === 0) irVersion = num(f);
    else if (f.num === 2 && f.wire === 2) producer = pb.string(f);
    else if (f.num === 3 && f.wire === 2) producerVersion = pb.string(f);
    else if (f.num === 7 && f.wire === 2) graph = f;
    else if (f.num === 8 && f.wire === 2) {
      let domain = '';
      let version = 0;
      for (const o of pb.fields(f.off!, f.off! + f.len!)) {
        if (o.num === 1 && o.wire === 2) domain = pb.string(o);
        if (o.num === 2 && o.wire === 0) version = num(o);
      }
      opsets.push({ domain, version });
    }
  }
  if (irVersion === undefined || !graph) throw new Error('not an ONNX ModelProto (no ir_version or graph)');
  const inputs: TensorSpec[] = [];
  const outputs: TensorSpec[] = [];
  const initializers = new Set<string>();
  let nodes = 0;
  let graphName = '';
  for (const f of pb.fields(graph.off!, graph.off! + graph.len!)) {
    if (f.num === 1 && f.wire === 2) nodes++;
    else if (f.num === 2 && f.wire === 2) graphName = pb.string(f);
    else if (f.num === 5 && f.wire === 2) {
      // TensorProto.name = 8; raw_data (9) is skipped by length.
      for (const t of pb.fields(f.off!, f.off! + f.len!)) if (t.num === 8 && t.wire === 2) initializers.add(pb.string(t));
    } else if (f.num === 11 && f.wire === 2) inputs.push(valueInfo(pb, f));
    else if (f.num === 12 && f.wire === 2) outputs.push(valueInfo(pb, f));
  }
  // Before IR 4 initializers were also listed as graph inputs; they are weights, not the contract.
  const realInputs = inputs.filter((i) => !initializers.has(i.name));
  return { irVersion, producer, producerVersion, opsets, graphName, nodes, initializers: initializers.size, inputs: realInputs, outputs };
}

export function looksLikeOnnx(src: ByteSource): boolean {
  const head = src.read(0, 2);
  // ir_version (field 1, varint) comes first in every serializer we know of.
  if (head.length < 2 || head[0] !== 0x08 || head[1] < 1 || head[1] > 30) return false;
  try {
    parseOnnx(src);
    return true;
  } catch {
    return false;
  }
}

export function inspectOnnx(src: ByteSource): InspectionReport {
  try {
    const m = parseOnnx(src);
    const opsetText = m.opsets.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`).join(',');
    return report('onnx', {
      signature: { inputs: m.inputs, outputs: m.outputs },
      facts: { irVersion: m.irVersion, opsets: opsetText, nodes: m.nodes, ...(m.producer ? { producer: `${m.producer} ${m.producerVersion}`.trim() } : {}) },
      details: { graph: m.graphName, opsets: m.opsets, initializers: m.initializers },
    });
  } catch (e) {
    return report('onnx', { valid: false, errors: [(e as Error).message] });
  }
}
