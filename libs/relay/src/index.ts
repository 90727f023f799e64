export * from './cloudevents.js';
export * from './version-facts.js';
export * from './checkpoints.js';
export * from './publisher.js';
export * from './lease.js';
export * from './relay.js';
export * from './from-config.js';
