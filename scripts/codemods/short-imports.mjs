#!/usr/bin/env node
// Rewrites every import that climbs out of its package to a lib's entry point
// (`../../../../../libs/auth/src/index.js`, `../../event-store/src/index.js`) to the lib's short
// name (`#auth`, `#event-store`), declared in package.json `imports`.
//
//   node scripts/codemods/short-imports.mjs            rewrite in place, print what changed
//   node scripts/codemods/short-imports.mjs --check    change nothing; exit 1 if anything would change
//
// Idempotent: a second run finds nothing to do. Imports inside one lib stay relative; imports of a
// lib's inner files (not its index) are left alone and listed, since they are not its public face.
// A lib under libs/<name>/src/index.ts without a package.json entry gets one (types → the source,
// default → the build in dist/), so libs added later are covered too.
import { readFileSync, writeFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');
const check = process.argv.includes('--check');
const SOURCE_DIRS = ['apps', 'libs', 'test', 'scripts'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'coverage', 'fixtures', '.cache']);

const libs = readdirSync(join(root, 'libs')).filter((name) => existsSync(join(root, 'libs', name, 'src', 'index.ts'))).sort();

function ensureImportsField() {
  const path = join(root, 'package.json');
  const pkg = JSON.parse(readFileSync(path, 'utf8'));
  const imports = { ...(pkg.imports ?? {}) };
  const added = libs.filter((lib) => !imports[`#${lib}`]);
  if (added.length === 0) return [];
  for (const lib of added) imports[`#${lib}`] = { types: `./libs/${lib}/src/index.ts`, default: `./dist/libs/${lib}/src/index.js` };
  const sorted = Object.fromEntries(Object.keys(imports).sort().map((k) => [k, imports[k]]));
  // `imports` stays where it is, or goes right after `engines`.
  let out = pkg.imports ? { ...pkg, imports: sorted } : {};
  if (!pkg.imports) {
    for (const [k, v] of Object.entries(pkg)) {
      out[k] = v;
      if (k === 'engines') out.imports = sorted;
    }
    if (!out.imports) out = { ...out, imports: sorted };
  }
  if (!check) writeFileSync(path, `${JSON.stringify(out, null, 2)}\n`);
  return added.map((lib) => `#${lib}`);
}

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name) || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    // A folder with its own package.json (an npm workspace such as apps/cli) resolves `#names`
    // through that file, not the root one, and may run from sources: leave it alone.
    if (entry.isDirectory() && existsSync(join(path, 'package.json'))) continue;
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** The lib a file belongs to, or null for apps and tests. */
function libOf(file) {
  const rel = relative(join(root, 'libs'), file);
  return rel.startsWith('..') ? null : rel.split(sep)[0];
}

// `from '…'`, `import '…'`, `import('…')`, `jest.unstable_mockModule('…'` — string literals only.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|unstable_mockModule\(\s*)(['"])(\.{1,2}\/[^'"\n]*)\2/g;

const innerImports = [];
function rewrite(file, text) {
  const own = libOf(file);
  let count = 0;
  const out = text.replace(SPECIFIER, (whole, lead, quote, spec) => {
    const target = resolve(dirname(file), spec);
    const rel = relative(join(root, 'libs'), target).split(sep);
    if (rel[0] === '..' || rel.length < 3 || rel[1] !== 'src') return whole;
    const lib = rel[0];
    if (lib === own || !libs.includes(lib)) return whole;
    if (rel.length !== 3 || rel[2] !== 'index.js') {
      innerImports.push(`${relative(root, file)}: ${spec}`);
      return whole;
    }
    count++;
    return `${lead}${quote}#${lib}${quote}`;
  });
  return { out, count };
}

const addedEntries = ensureImportsField();
let files = 0;
let total = 0;
for (const dir of SOURCE_DIRS) {
  if (!existsSync(join(root, dir)) || !statSync(join(root, dir)).isDirectory()) continue;
  for (const file of sourceFiles(join(root, dir))) {
    if (file === new URL(import.meta.url).pathname) continue;
    const text = readFileSync(file, 'utf8');
    const { out, count } = rewrite(file, text);
    if (count === 0) continue;
    files++;
    total += count;
    if (!check) writeFileSync(file, out);
    console.log(`${check ? 'would rewrite' : 'rewrote'} ${count} in ${relative(root, file)}`);
  }
}
if (addedEntries.length) console.log(`${check ? 'would add' : 'added'} package.json imports: ${addedEntries.join(', ')}`);
if (innerImports.length) console.log(`left alone (a lib's inner file, not its index):\n  ${innerImports.join('\n  ')}`);
console.log(`${total} import(s) in ${files} file(s)${check ? ' to rewrite' : ' rewritten'}`);
if (check && (total > 0 || addedEntries.length > 0)) process.exit(1);
