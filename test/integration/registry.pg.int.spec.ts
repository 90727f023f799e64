import { describePg } from '../support/pg.js';
import { registryScenarios } from '../e2e/registry.scenarios.js';

describePg('registry over HTTP (PostgreSQL)', () => {
  registryScenarios('postgres');
});
