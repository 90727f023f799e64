#!/usr/bin/env node
// Prints what CI ran, summed over every Jest project run (their --json files) and Schemathesis
// (its JUnit report), ending with one plain "N passed, N failed" line: Jest is not among the
// runners whose own closing lines CI reads, and Schemathesis's closing banner looks like a
// pytest line that ran nothing.
//   node scripts/ci-summary.mjs <dir>   (default test/artifacts/ci)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'test/artifacts/ci';
const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];

for (const file of readdirSync(dir).sort()) {
  const path = join(dir, file);
  if (file.endsWith('.json')) {
    const r = JSON.parse(readFileSync(path, 'utf8'));
    // A suite that fails to load counts as failed even though it ran no test.
    const failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
    const skipped = r.numPendingTests + r.numTodoTests;
    add(file.replace(/\.json$/, ''), r.numPassedTests, failed, skipped);
  } else if (file.endsWith('.xml')) {
    const head = readFileSync(path, 'utf8').match(/<testsuites\b[^>]*>/)?.[0] ?? '';
    const attr = (name) => Number(head.match(new RegExp(`\\b${name}="(\\d+)"`))?.[1] ?? 0);
    const failed = attr('failures') + attr('errors');
    const skipped = attr('skipped');
    add(file.replace(/\.xml$/, ''), attr('tests') - failed - skipped, failed, skipped);
  }
}

function add(name, passed, failed, skipped) {
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  lines.push(`  ${name}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

console.log(lines.join('\n'));
console.log(`total: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
