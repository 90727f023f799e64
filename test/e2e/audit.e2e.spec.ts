import { auditScenarios } from './audit.scenarios.js';

describe('audit over HTTP (embedded SQLite)', () => {
  auditScenarios('sqlite');
});
