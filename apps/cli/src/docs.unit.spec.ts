import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from './main.ts';

/** docs/CLI.md lists every command and flag: this keeps the two from drifting apart. */
const doc = readFileSync(join(import.meta.dirname, '../../../docs/CLI.md'), 'utf8');

function leaves(c: Command, prefix = ''): { path: string; cmd: Command }[] {
  return c.commands.flatMap((s) => {
    const path = `${prefix} ${s.name()}`.trim();
    return s.commands.length ? leaves(s, path) : [{ path, cmd: s }];
  });
}

describe('docs/CLI.md', () => {
  it.each(leaves(buildProgram()).map((l) => [l.path, l.cmd] as const))('documents `%s` and each of its flags', (path, cmd) => {
    expect(doc).toContain(`### \`${path}`);
    for (const o of cmd.options) expect(doc).toContain(o.long!);
  });

  it('documents exit codes 0 to 7', () => {
    for (let code = 0; code <= 7; code++) expect(doc).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });
});
