import { statSync } from 'node:fs';
import { inspectGguf, looksLikeGguf } from './gguf.ts';
import { inspectOnnx, looksLikeOnnx } from './onnx.ts';
import { looksLikePickle, scanPickle } from './pickle.ts';
import { inspectSafetensors, looksLikeSafetensors } from './safetensors.ts';
import { directoryManifest, isSavedModelDir, listFiles } from './savedmodel.ts';
import { type ByteSource, bytesSource, fileSource } from './source.ts';
import { report, type DetectedFormat, type InspectionReport } from './types.ts';
import { looksLikeZip, zipEntries, zipEntrySource } from './zip.ts';

export * from './types.ts';
export { SAFE_GLOBALS, scanPickle } from './pickle.ts';
export { directoryManifest, fileDigest, type DirectoryManifest } from './savedmodel.ts';
export { bytesSource, fileSource, type ByteSource } from './source.ts';

/** Tells the format from the bytes alone; the file name plays no part. */
export function detectFormat(src: ByteSource): DetectedFormat {
  if (looksLikeGguf(src)) return 'gguf';
  if (looksLikeZip(src)) return zipKind(src);
  if (looksLikeSafetensors(src)) return 'safetensors';
  if (looksLikePickle(src)) return scanPickle(src).globals.some((g) => g.startsWith('joblib.')) ? 'joblib' : 'pickle';
  if (looksLikeOnnx(src)) return 'onnx';
  return 'other';
}

function zipKind(src: ByteSource): DetectedFormat {
  try {
    const names = zipEntries(src).map((e) => e.name);
    if (!names.some((n) => /(^|\/)data\.pkl$/.test(n))) return 'other';
    // torch.jit.save writes the model's code next to its pickles.
    return names.some((n) => /(^|\/)code\//.test(n) || /(^|\/)constants\.pkl$/.test(n)) ? 'torchscript' : 'pytorch';
  } catch {
    return 'other';
  }
}

function inspectPickle(src: ByteSource, format: 'pickle' | 'joblib'): InspectionReport {
  const scan = scanPickle(src);
  const trailing = src.size - scan.length;
  return report(format, {
    // A pickle the scanner cannot walk to its end cannot be cleared: it is unsafe, not just invalid.
    valid: scan.problems.length === 0,
    safe: scan.unsafeGlobals.length === 0 && scan.problems.length === 0,
    errors: scan.problems,
    unsafeGlobals: scan.unsafeGlobals,
    globals: scan.globals,
    facts: { pickleProtocol: scan.protocol, globals: scan.globals.length, ...(trailing > 0 ? { trailingBytes: trailing } : {}) },
  });
}

function inspectTorchZip(src: ByteSource, format: 'pytorch' | 'torchscript'): InspectionReport {
  const globals = new Set<string>();
  const unsafe = new Set<string>();
  const errors: string[] = [];
  const pickles: string[] = [];
  for (const entry of zipEntries(src)) {
    if (!entry.name.endsWith('.pkl')) continue;
    pickles.push(entry.name);
    try {
      const scan = scanPickle(zipEntrySource(src, entry));
      scan.globals.forEach((g) => globals.add(g));
      scan.unsafeGlobals.forEach((g) => unsafe.add(g));
      errors.push(...scan.problems.map((p) => `${entry.name}: ${p}`));
    } catch (e) {
      errors.push(`${entry.name}: ${(e as Error).message}`);
    }
  }
  return report(format, {
    valid: errors.length === 0,
    safe: unsafe.size === 0 && errors.length === 0,
    errors,
    unsafeGlobals: [...unsafe],
    globals: [...globals],
    facts: { pickles: pickles.length, globals: globals.size },
    details: { pickles },
  });
}

/** Inspects an artifact's bytes: detects the format, validates its structure, checks pickles for code. */
export function inspectSource(src: ByteSource): InspectionReport {
  const format = detectFormat(src);
  switch (format) {
    case 'gguf':
      return inspectGguf(src);
    case 'safetensors':
      return inspectSafetensors(src);
    case 'onnx':
      return inspectOnnx(src);
    case 'pickle':
    case 'joblib':
      return inspectPickle(src, format);
    case 'pytorch':
    case 'torchscript':
      return inspectTorchZip(src, format);
    default: {
      // A safetensors-looking header that is broken is still worth naming as safetensors.
      const head = src.read(0, 9);
      if (head.length >= 9 && head[8] === 0x7b) {
        const st = inspectSafetensors(src);
        if (!st.valid) return st;
      }
      return report('other', { facts: { bytes: src.size } });
    }
  }
}

export function inspectBytes(bytes: Uint8Array): InspectionReport {
  return inspectSource(bytesSource(bytes));
}

/** A file or a SavedModel directory. Directories also get their manifest digest. */
export async function inspectPath(path: string): Promise<InspectionReport & { digest?: string; manifest?: string }> {
  if (statSync(path).isDirectory()) {
    if (!isSavedModelDir(path)) {
      return report('other', { valid: false, errors: [`${path} is a directory without saved_model.pb; only SavedModel directories are artifacts`] });
    }
    const m = await directoryManifest(path);
    const files = listFiles(path);
    return {
      ...report('savedmodel', { facts: { files: files.length, bytes: m.sizeBytes } }),
      digest: m.digest,
      manifest: m.manifest,
    };
  }
  const src = fileSource(path);
  try {
    return inspectSource(src);
  } finally {
    src.close();
  }
}
