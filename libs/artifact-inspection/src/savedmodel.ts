import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The digest of a directory artifact (a TensorFlow SavedModel): a manifest with one line per
 * regular file, `sha256:<hex of the file>  <relative path>\n`, paths with `/` separators sorted by
 * their UTF-8 bytes; the digest is the SHA-256 of that manifest text. Symbolic links and special
 * files are refused (a link could point outside the artifact); empty directories do not count.
 * Reproduce in the directory with:
 *   find . -type f | sed 's|^\./||' | LC_ALL=C sort | while read f; do printf 'sha256:%s  %s\n' "$(sha256sum "$f" | cut -c1-64)" "$f"; done | sha256sum
 */
export interface DirectoryManifest {
  digest: string;
  manifest: string;
  files: { path: string; digest: string; size: number }[];
  sizeBytes: number;
}

export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      if (st.isDirectory()) walk(r);
      else if (st.isFile()) out.push(r);
      else throw new Error(`${r} is not a regular file or directory (symbolic links are refused)`);
    }
  };
  walk('');
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

export async function fileDigest(path: string, onBytes?: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return `sha256:${hash.digest('hex')}`;
}

export async function directoryManifest(root: string, onBytes?: (n: number) => void): Promise<DirectoryManifest> {
  const files: DirectoryManifest['files'] = [];
  for (const path of listFiles(root)) {
    files.push({ path, digest: await fileDigest(join(root, path), onBytes), size: lstatSync(join(root, path)).size });
  }
  const manifest = files.map((f) => `${f.digest}  ${f.path}\n`).join('');
  return {
    digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}`,
    manifest,
    files,
    sizeBytes: files.reduce((a, f) => a + f.size, 0),
  };
}

export function isSavedModelDir(root: string): boolean {
  try {
    const names = readdirSync(root);
    return names.includes('saved_model.pb') || names.includes('saved_model.pbtxt');
  } catch {
    return false;
  }
}
