export * from './telemetry.js';
export * from './logging.js';
