import { readFileSync } from 'node:fs';

describe('.dockerignore', () => {
  const lines = readFileSync(new URL('../../.dockerignore', import.meta.url), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  test('excludes everything by default and lets in only sources, manifests and the lock file (no test/, data/, .git, node_modules)', () => {
    expect(lines[0]).toBe('**');
    const allowed = lines.filter((l) => l.startsWith('!'));
    expect(allowed.sort()).toEqual(['!apps/**', '!libs/**', '!nest-cli.json', '!package-lock.json', '!package.json', '!tsconfig.build.json', '!tsconfig.json']);
    expect(lines).toEqual(expect.arrayContaining(['**/*.spec.ts', 'data/']));
  });
});
