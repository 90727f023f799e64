import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The domain stays pure: no framework, database, broker or telemetry import may enter libs/domain. */
const DOMAIN_FORBIDDEN = [
  { group: ['@nestjs/*', '@nestjs/**'], message: 'libs/domain is framework-free: no NestJS.' },
  { group: ['pg', 'pg-*', 'node:sqlite', 'sqlite*', 'better-sqlite3'], message: 'libs/domain does no I/O: no database drivers.' },
  { group: ['kafkajs', '@kurrent/*', '@eventstore/*'], message: 'libs/domain does no I/O: no brokers or event-store clients.' },
  { group: ['@opentelemetry/*'], message: 'libs/domain has no telemetry.' },
  { group: ['node:fs', 'node:net', 'node:http', 'node:https', 'fs', 'net', 'http', 'https', 'fastify', 'jose'], message: 'libs/domain does no I/O.' },
  { group: ['**/persistence/**', '**/event-store/**', '**/read-models/**', '**/auth/**', '**/relay/**', '**/apps/**'], message: 'libs/domain depends on nothing else in the repo.' },
];

const INSPECTION_FORBIDDEN = [
  { group: ['@nestjs/*', 'pg', 'kafkajs', '@opentelemetry/*', 'jose', 'fastify'], message: 'libs/artifact-inspection is server-free.' },
  { group: ['**/apps/**', '**/domain/**', '**/persistence/**', '**/event-store/**', '**/read-models/**', '**/auth/**', '**/relay/**', '**/audit/**'], message: 'libs/artifact-inspection depends on nothing else in the repo.' },
];
const CLI_FORBIDDEN = [
  { group: ['@nestjs/*', 'pg', 'kafkajs', '@opentelemetry/*', 'fastify', 'node:sqlite'], message: 'the CLI is an HTTP client of the server.' },
  { group: ['**/registry-api/**', '**/domain/**', '**/persistence/**', '**/event-store/**', '**/read-models/**', '**/relay/**'], message: 'the CLI imports no server code.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'examples/**', '.cache/**', '.schemathesis/**', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', fetch: 'readonly', Headers: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
    },
  },
  {
    files: ['libs/domain/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: DOMAIN_FORBIDDEN }] },
  },
  {
    // Inspection is a library of its own: the CLI uses it without the server, so it imports nothing from the server.
    files: ['libs/artifact-inspection/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: INSPECTION_FORBIDDEN }] },
  },
  {
    // The CLI is an HTTP client: no server code, and only type-strippable imports (.ts) of the inspection lib.
    files: ['apps/cli/**/*.ts'],
    ignores: ['apps/cli/**/*.spec.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: CLI_FORBIDDEN }] },
  },
  {
    // HTTP DTOs: @IsOptional() also lets `null` through to handlers and events, unlike what the
    // OpenAPI document says; use @Optional() from use-cases/shared/validators.ts.
    files: ['apps/**/use-cases/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'class-validator', importNames: ['IsOptional'], message: 'Use @Optional() (use-cases/shared/validators.ts): it refuses null.' }] },
      ],
    },
  },
);
