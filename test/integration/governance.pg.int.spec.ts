import { describePg } from '../support/pg.js';
import { governanceScenarios } from '../e2e/governance.scenarios.js';

describePg('governance over HTTP (PostgreSQL)', () => {
  governanceScenarios('postgres');
});
