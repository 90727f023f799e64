import { ESLint } from 'eslint';

/** The lint rule that keeps libs/domain pure actually fires (and does not fire on clean code). */
describe('domain purity lint rule', () => {
  const eslint = new ESLint();
  const lint = async (code: string, filePath: string) => (await eslint.lintText(code, { filePath }))[0].messages.filter((m) => m.ruleId === 'no-restricted-imports');

  test.each([
    ["import { Injectable } from '@nestjs/common';"],
    ["import pg from 'pg';"],
    ["import { DatabaseSync } from 'node:sqlite';"],
    ["import { Kafka } from 'kafkajs';"],
    ["import { trace } from '@opentelemetry/api';"],
    ["import { SqlDb } from '../../persistence/src/index.js';"],
  ])('refuses %s in libs/domain', async (code) => {
    expect(await lint(`${code}\nexport const x = 1;`, 'libs/domain/src/model/x.ts')).toHaveLength(1);
  });

  test('allows the same import outside libs/domain and pure imports inside it', async () => {
    expect(await lint("import pg from 'pg';\nexport const x = pg;", 'libs/persistence/src/x.ts')).toHaveLength(0);
    expect(await lint("import { parseSemver } from '../semver.js';\nexport const x = parseSemver;", 'libs/domain/src/model/x.ts')).toHaveLength(0);
  });
});
