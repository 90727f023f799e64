import { readdirSync, readFileSync } from 'node:fs';

/** nest-cli.json is the map of the monorepo: every folder under apps/ and libs/ is a project in it. */
describe('nest-cli.json', () => {
  const projects = Object.values(JSON.parse(readFileSync('nest-cli.json', 'utf8')).projects as Record<string, { type: string; root: string; sourceRoot: string }>);

  it.each([
    ['apps', 'application'],
    ['libs', 'library'],
  ])('names every folder of %s/ as an %s', (dir, type) => {
    const folders = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${dir}/${e.name}`).sort();
    const named = projects.filter((p) => p.type === type).map((p) => p.root).sort();
    expect(named).toEqual(folders);
    for (const p of projects.filter((q) => q.type === type)) expect(p.sourceRoot).toBe(`${p.root}/src`);
  });
});
