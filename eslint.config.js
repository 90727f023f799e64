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
