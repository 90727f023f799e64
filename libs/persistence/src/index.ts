export * from './sql-db.js';
export * from './sqlite-db.js';
export * from './postgres-db.js';
export * from './uuidv7.js';
export * from './store-unavailable.js';
