import { registryScenarios } from './registry.scenarios.js';

describe('registry over HTTP (embedded SQLite)', () => {
  registryScenarios('sqlite');
});
