import { inflateRawSync } from 'node:zlib';
import { type ByteSource, bytesSource, sliceSource, u16le, u32le, u64le } from './source.ts';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export function looksLikeZip(src: ByteSource): boolean {
  const h = src.read(0, 4);
  return h.length === 4 && h[0] === 0x50 && h[1] === 0x4b && h[2] === 0x03 && h[3] === 0x04;
}

/** The central directory (zip64 sizes/offsets included); throws when it cannot be found. */
export function zipEntries(src: ByteSource): ZipEntry[] {
  const tailLen = Math.min(src.size, 22 + 65535);
  const tail = src.read(src.size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 0x05 && tail[i + 3] === 0x06) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('zip end-of-central-directory record not found');
  let count = u16le(tail, eocd + 10);
  let cdSize = u32le(tail, eocd + 12);
  let cdOffset = u32le(tail, eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    // zip64: the locator sits right before the EOCD record.
    const loc = eocd - 20;
    if (loc < 0 || u32le(tail, loc) !== 0x07064b50) throw new Error('zip64 locator not found');
    const rec = src.read(u64le(tail, loc + 8), 56);
    if (u32le(rec) !== 0x06064b50) throw new Error('zip64 end-of-central-directory record not found');
    count = u64le(rec, 32);
    cdSize = u64le(rec, 40);
    cdOffset = u64le(rec, 48);
  }
  if (cdOffset + cdSize > src.size || count > 1_000_000) throw new Error('zip central directory lies outside the file');
  const cd = src.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || u32le(cd, p) !== 0x02014b50) throw new Error(`zip central directory entry ${i} is malformed`);
    const nameLen = u16le(cd, p + 28);
    const extraLen = u16le(cd, p + 30);
    const commentLen = u16le(cd, p + 32);
    let compressedSize = u32le(cd, p + 20);
    let size = u32le(cd, p + 24);
    let localHeaderOffset = u32le(cd, p + 42);
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen));
    // zip64 extra field (id 1) holds the values that are 0xffffffff above, in this order.
    let e = p + 46 + nameLen;
    const end = e + extraLen;
    while (e + 4 <= end) {
      const id = u16le(cd, e);
      const len = u16le(cd, e + 2);
      if (id === 1) {
        let q = e + 4;
        if (size === 0xffffffff) {
          size = u64le(cd, q);
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64le(cd, q);
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = u64le(cd, q);
      }
      e += 4 + len;
    }
    entries.push({ name, method: u16le(cd, p + 10), compressedSize, size, localHeaderOffset });
    p = end + commentLen;
  }
  return entries;
}

/** An entry's bytes as a source: stored entries are a window of the file, deflated ones are inflated (bounded). */
export function zipEntrySource(src: ByteSource, entry: ZipEntry, maxInflated = 64 * 1024 * 1024): ByteSource {
  const local = src.read(entry.localHeaderOffset, 30);
  if (local.length < 30 || u32le(local) !== 0x04034b50) throw new Error(`zip entry ${entry.name}: bad local header`);
  const start = entry.localHeaderOffset + 30 + u16le(local, 26) + u16le(local, 28);
  if (entry.method === 0) return sliceSource(src, start, entry.compressedSize);
  if (entry.method === 8) {
    if (entry.size > maxInflated) throw new Error(`zip entry ${entry.name}: ${entry.size} bytes inflated is more than allowed`);
    return bytesSource(inflateRawSync(src.read(start, entry.compressedSize), { maxOutputLength: maxInflated }));
  }
  throw new Error(`zip entry ${entry.name}: compression method ${entry.method} not supported`);
}
