export * from './token-verifier.js';
export * from './dev-keys.js';
export * from './guard.js';
