import { readFileSync } from 'node:fs';
import { API_MAIN, API_NODE_FLAGS } from '../bench/lib.js';

/** The API runs with the same V8 flags however it is started: npm start, the container image, and the bench that measures it. */
describe('API node flags', () => {
  test('npm start, the Dockerfile CMD and the bench start the API with the same flags', () => {
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    expect(start).toBe(['node', ...API_NODE_FLAGS, API_MAIN].join(' '));
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync('deploy/Dockerfile', 'utf8'))?.[1];
    expect(JSON.parse(cmd!)).toEqual(['node', ...API_NODE_FLAGS, API_MAIN]);
  });
});
