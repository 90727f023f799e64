import { ESLint } from 'eslint';

/**
 * The layer rules of eslint.boundaries.js, proven on small virtual files linted with the
 * project's own config: each forbidden import is refused, and its allowed neighbour is not.
 * The imported files are real (the rule checks what an import resolves to).
 */
const eslint = new ESLint({ cwd: process.cwd() });
const LAYER_RULES = new Set(['boundaries/dependencies', 'no-restricted-imports']);

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  // Only the layer rules: the climbing-import rule (off for now) is proven separately below.
  return result.messages.filter((m) => LAYER_RULES.has(m.ruleId ?? '')).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint enforces the layers', () => {
  it('refuses an app importing another app', async () => {
    const found = await problems('apps/relay/src/probe.ts', "export { bootstrap } from '../../registry-api/src/bootstrap.js';\n");
    expect(found).toEqual([expect.stringContaining('no app imports another app')]);
  });

  it('lets an app import a lib', async () => {
    expect(await problems('apps/relay/src/probe.ts', "export { relayFromConfig } from '../../../libs/relay/src/index.js';\n")).toEqual([]);
  });

  it('refuses a use case importing another use case', async () => {
    const found = await problems('apps/registry-api/src/use-cases/get-model/probe.ts', "export { ResolveHandler } from '../resolve/resolve.handler.js';\n");
    expect(found).toEqual([expect.stringContaining('a use case never imports another use case')]);
  });

  it('lets a use case import use-cases/shared and its own files', async () => {
    const code = "export { presentModel } from '../shared/views.js';\nexport { GetModelHandler } from './get-model.handler.js';\n";
    expect(await problems('apps/registry-api/src/use-cases/get-model/probe.ts', code)).toEqual([]);
  });

  it('refuses a lib importing an app', async () => {
    const found = await problems('libs/relay/src/probe.ts', "export { bootstrap } from '../../../apps/registry-api/src/bootstrap.js';\n");
    expect(found).toEqual([expect.stringContaining('a lib never imports an app')]);
  });

  it('lets a lib import another lib', async () => {
    expect(await problems('libs/relay/src/probe.ts', "export type { EventStore } from '../../event-store/src/index.js';\n")).toEqual([]);
  });

  it('refuses the domain importing another lib', async () => {
    const found = await problems('libs/domain/src/probe.ts', "export type { EventStore } from '../../event-store/src/index.js';\n");
    expect(found.some((m) => m.includes('libs/domain imports nothing else in the repo'))).toBe(true);
  });

  it('refuses the domain importing a framework or a driver', async () => {
    expect(await problems('libs/domain/src/probe.ts', "export { Injectable } from '@nestjs/common';\n")).toEqual([expect.stringContaining('no NestJS')]);
    expect(await problems('libs/domain/src/probe.ts', "import pg from 'pg';\nexport { pg };\n")).toEqual([expect.stringContaining('no database drivers')]);
  });

  it('lets the domain import its own files', async () => {
    expect(await problems('libs/domain/src/probe.ts', "export { decide } from './model/decider.js';\n")).toEqual([]);
  });

  it('resolves the short names too: the domain importing #event-store is refused, an app importing #domain is not', async () => {
    const found = await problems('libs/domain/src/probe.ts', "export type { EventStore } from '#event-store';\n");
    expect(found.some((m) => m.includes('libs/domain imports nothing else in the repo'))).toBe(true);
    expect(await problems('apps/relay/src/probe.ts', "export { decide } from '#domain';\n")).toEqual([]);
  });
});

describe('the climbing-import rule (off until the codemod has run on main)', () => {
  it('once on, refuses a climb to a lib entry point and accepts the short name and local imports', async () => {
    const { climbingImportsConfig } = (await import(`${process.cwd()}/eslint.boundaries.js`)) as {
      climbingImportsConfig: { rules: Record<string, [string, ...unknown[]]> };
    };
    const [, ...selectors] = climbingImportsConfig.rules['no-restricted-syntax'];
    const strict = new ESLint({ cwd: process.cwd(), overrideConfig: { rules: { 'no-restricted-syntax': ['error', ...selectors] } } as never });
    const lint = async (filePath: string, code: string) => (await strict.lintText(code, { filePath }))[0].messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
    const file = 'apps/registry-api/src/use-cases/get-model/probe.ts';
    expect(await lint(file, "export { decide } from '../../../../../libs/domain/src/index.js';\n")).toEqual([expect.stringContaining("'#domain'")]);
    expect(await lint(file, "export const load = () => import('../../../../../libs/domain/src/index.js');\n")).toEqual([expect.stringContaining("'#domain'")]);
    expect(await lint('libs/relay/src/probe.ts', "export type { EventStore } from '../../event-store/src/index.js';\n")).toEqual([expect.stringContaining("'#domain'")]);
    expect(await lint(file, "export { decide } from '#domain';\nexport { presentModel } from '../shared/views.js';\n")).toEqual([]);
  });
});
