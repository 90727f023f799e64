// Four tiers, selected by file name: *.unit.spec.ts, *.e2e.spec.ts (whole app over HTTP,
// embedded store), *.sec.spec.ts (attacks, embedded store) and *.int.spec.ts (real PostgreSQL / Kafka, needs the services script).
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  rootDir: '.',
  setupFiles: ['reflect-metadata'],
};
export default {
  // Generous: CI machines have 2 cores, and a slow machine should not fail a correct test.
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,test}/**/*.unit.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/{apps,libs,test}/**/*.e2e.spec.ts'] },
    // Attacks, each a regression test: refused, and nothing written where nothing should be.
    { ...common, displayName: 'sec', testMatch: ['<rootDir>/{apps,libs,test}/**/*.sec.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs,test}/**/*.int.spec.ts'] },
    // Crash, restart and outage tests against real processes (npm run test:reliability; RELIABILITY_SIZE=full for the full size).
    { ...common, displayName: 'reliability', testMatch: ['<rootDir>/test/reliability/**/*.rel.spec.ts'] },
  ],
};
