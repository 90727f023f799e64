import { describePg } from '../support/pg.js';
import { eventStreamScenarios } from '../e2e/event-stream.scenarios.js';

describePg('GET /v1/events/stream (SSE, PostgreSQL, no Kafka)', () => {
  eventStreamScenarios('postgres');
});
