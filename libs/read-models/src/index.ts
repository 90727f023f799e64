export * from './rows.js';
export * from './tables.js';
export * from './projector.js';
export * from './queries.js';
export * from './rebuild.js';
export * from './audit-queries.js';
export * from './projection-versions.js';
export * from './snapshots.js';
