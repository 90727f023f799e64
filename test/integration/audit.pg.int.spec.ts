import { describePg } from '../support/pg.js';
import { auditScenarios } from '../e2e/audit.scenarios.js';

describePg('audit over HTTP (PostgreSQL)', () => {
  auditScenarios('postgres');
});
