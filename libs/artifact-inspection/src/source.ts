import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Random access to an artifact's bytes. The parsers read only what they need (a safetensors
 * header, an ONNX graph's value infos, a zip's central directory), so a multi-gigabyte file is
 * never loaded whole.
 */
export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes from `offset`; fewer only at the end of the source. */
  read(offset: number, length: number): Uint8Array;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)) };
}

/** A file opened for reading; close it when done. */
export function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    size,
    read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = Buffer.alloc(n);
      let done = 0;
      while (done < n) {
        const got = readSync(fd, buf, done, n - done, offset + done);
        if (got === 0) break;
        done += got;
      }
      return buf.subarray(0, done);
    },
    close: () => closeSync(fd),
  };
}

/** A window of another source, e.g. one stored entry of a zip. */
export function sliceSource(src: ByteSource, start: number, length: number): ByteSource {
  const size = Math.max(0, Math.min(length, src.size - start));
  return { size, read: (offset, len) => src.read(start + offset, Math.max(0, Math.min(len, size - offset))) };
}

export const u32le = (b: Uint8Array, at = 0): number => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
export const u16le = (b: Uint8Array, at = 0): number => b[at] | (b[at + 1] << 8);
/** Little-endian u64 as a number; beyond 2^53 it is reported as Infinity so bounds checks fail closed. */
export function u64le(b: Uint8Array, at = 0): number {
  const lo = u32le(b, at);
  const hi = u32le(b, at + 4);
  if (hi >= 0x200000) return Number.POSITIVE_INFINITY;
  return hi * 0x100000000 + lo;
}
