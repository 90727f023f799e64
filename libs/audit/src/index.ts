export * from './audit-key.js';
export * from './checkpoint.js';
export * from './verify.js';
export * from './export-verify.js';
export * from './parallel-verify.js';
