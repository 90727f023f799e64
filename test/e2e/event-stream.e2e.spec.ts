import { eventStreamScenarios } from './event-stream.scenarios.js';

describe('GET /v1/events/stream (SSE, embedded SQLite, no Kafka)', () => {
  eventStreamScenarios('sqlite');
});
