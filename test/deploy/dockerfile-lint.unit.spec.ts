import { readFileSync } from 'node:fs';
import { lintDockerfile } from './dockerfile-lint.js';

const good = readFileSync(new URL('../../deploy/Dockerfile', import.meta.url), 'utf8');

describe('deploy/Dockerfile lint', () => {
  test('deploy/Dockerfile passes: multi-stage, exact versions with digest note, non-root, prod-only deps, no test code', () => {
    expect(lintDockerfile(good)).toEqual([]);
  });

  test('the image runs with a read-only root filesystem: the only written path is DATA_DIR, declared as a volume', () => {
    expect(good).toMatch(/^ENV .*DATA_DIR=\/var\/lib\/model-ledger/m);
    expect(good).toMatch(/^VOLUME \["\/var\/lib\/model-ledger"\]/m);
    expect(good).toMatch(/chown 10001:10001 \/var\/lib\/model-ledger/);
  });

  // The linter must catch each rule broken on its own, or the test above proves nothing.
  const broken: [string, (d: string) => string, RegExp][] = [
    ['single stage', () => '# digest: n/a\nFROM node:24.21.0-bookworm-slim\nUSER 10001\n', /multi-stage/],
    ['latest tag', (d) => d.replace('FROM node:24.21.0-bookworm-slim AS deps', 'FROM node:latest AS deps'), /latest/],
    ['no tag', (d) => d.replace('FROM node:24.21.0-bookworm-slim AS deps', 'FROM node AS deps'), /no tag/],
    ['floating major tag', (d) => d.replace('FROM node:24.21.0-bookworm-slim AS deps', 'FROM node:24-bookworm-slim AS deps'), /exact version/],
    ['no digest and no note', (d) => d.replace(/# digest: .*\nFROM node:24.21.0-bookworm-slim AS runtime/, 'FROM node:24.21.0-bookworm-slim AS runtime'), /no @sha256 digest/],
    ['root user', (d) => d.replace('USER 10001:10001', 'USER root'), /is root/],
    ['no user', (d) => d.replace('USER 10001:10001\n', ''), /no USER/],
    ['test code copied', (d) => d.replace('COPY libs libs', 'COPY libs libs\nCOPY test/bench test/bench'), /test code/],
    ['dev deps in final stage', (d) => d.replace('COPY --from=deps /app/node_modules node_modules', 'COPY --from=build /app/node_modules node_modules'), /installs dev dependencies/],
    ['plain npm ci in final stage', (d) => d.replace('COPY --from=deps /app/node_modules node_modules', 'COPY package-lock.json ./\nRUN npm ci'), /without --omit=dev/],
  ];
  test.each(broken)('flags a Dockerfile with %s', (_name, mutate, expected) => {
    const mutated = mutate(good);
    expect(mutated).not.toBe(good);
    expect(lintDockerfile(mutated).join('\n')).toMatch(expected);
  });

  test('accepts a pinned digest in place of the note', () => {
    const pinned = good.replace(/# digest: .*\n(FROM node:24.21.0-bookworm-slim) AS runtime/, `$1@sha256:${'a'.repeat(64)} AS runtime`);
    expect(pinned).not.toBe(good);
    expect(lintDockerfile(pinned)).toEqual([]);
  });
});
