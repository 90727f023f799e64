export * from './port.js';
export * from './sql-event-store.js';
export * from './sqlite-event-store.js';
export * from './postgres-event-store.js';
export * from './subscription.js';
export * from './jcs.js';
export * from './hash-chain.js';
export * from './decide-and-append.js';
