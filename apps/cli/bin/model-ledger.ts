#!/usr/bin/env node
// The model-ledger CLI. Plain TypeScript run by Node 24's type stripping: no build step, fast start.
import { run } from '../src/main.ts';

process.exitCode = await run(process.argv.slice(2));
