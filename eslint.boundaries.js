import boundaries from 'eslint-plugin-boundaries';

/**
 * Layer rules, checked on resolved files (not on import strings), so they hold for relative
 * imports and for the short `#name` imports alike:
 * - the domain imports nothing else in the repo;
 * - a lib never imports an app;
 * - no app imports another app;
 * - a use case never imports another use case (shared code lives in `use-cases/shared` or a lib).
 * Proven by test/arch/boundaries.unit.spec.ts.
 */
export const boundariesConfig = {
  files: ['apps/**/*.ts', 'libs/**/*.ts'],
  plugins: { boundaries },
  settings: {
    'import/resolver': { typescript: { project: './tsconfig.json' } },
    'boundaries/include': ['apps/**/*', 'libs/**/*'],
    // The first matching element wins: the narrower use-case patterns come before their app.
    'boundaries/elements': [
      { type: 'use-case-shared', pattern: 'apps/*/src/use-cases/shared', capture: ['app'] },
      { type: 'use-case', pattern: 'apps/*/src/use-cases/*', capture: ['app', 'useCase'] },
      { type: 'app', pattern: 'apps/*', capture: ['app'] },
      { type: 'domain', pattern: 'libs/domain' },
      { type: 'lib', pattern: 'libs/*', capture: ['lib'] },
    ],
  },
  rules: {
    'boundaries/dependencies': [
      'error',
      {
        default: 'allow',
        policies: [
          {
            from: { element: { type: 'domain' } },
            disallow: { to: { element: { types: { anyOf: ['lib', 'app', 'use-case', 'use-case-shared'] } } } },
            message: 'libs/domain imports nothing else in the repo',
          },
          {
            from: { element: { types: { anyOf: ['domain', 'lib'] } } },
            disallow: { to: { element: { types: { anyOf: ['app', 'use-case', 'use-case-shared'] } } } },
            message: 'a lib never imports an app: move the shared code into a lib',
          },
          {
            from: { element: { types: { anyOf: ['app', 'use-case', 'use-case-shared'] } } },
            disallow: {
              to: {
                element: {
                  types: { anyOf: ['app', 'use-case', 'use-case-shared'] },
                  captured: { app: '!{{from.element.captured.app}}' },
                },
              },
            },
            message: 'no app imports another app: move the shared code into a lib',
          },
          {
            from: { element: { type: 'use-case' } },
            disallow: {
              to: { element: { type: 'use-case', captured: { useCase: '!{{from.element.captured.useCase}}' } } },
            },
            message: 'a use case never imports another use case: move the shared code to use-cases/shared or a lib',
          },
        ],
      },
    ],
  },
};

/**
 * Imports that climb out of their package to a lib's entry point (`../../../../libs/auth/src/index.js`)
 * instead of its short name (`#auth`, package.json `imports`). OFF until the integrator has run
 * `node scripts/codemods/short-imports.mjs` on main after the parallel branches are merged; then
 * set CLIMBING_IMPORTS to 'error'.
 */
export const CLIMBING_IMPORTS = 'error';
const CLIMBING = String.raw`/^(\.\.\/)+(.*\/)?[a-z0-9-]+\/src\/index\.js$/`;
const CLIMBING_MESSAGE = "import a lib by its short name ('#domain', '#event-store', …), not by climbing to its src/index.js";
export const climbingImportsConfig = {
  files: ['apps/**/*.ts', 'libs/**/*.ts', 'test/**/*.ts'],
  rules: {
    'no-restricted-syntax': [
      CLIMBING_IMPORTS,
      ...['ImportDeclaration', 'ExportNamedDeclaration', 'ExportAllDeclaration', 'ImportExpression'].map((node) => ({
        selector: `${node}[source.value=${CLIMBING}]`,
        message: CLIMBING_MESSAGE,
      })),
    ],
  },
};
