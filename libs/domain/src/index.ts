export * from './errors.js';
export * from './semver.js';
export * from './scopes.js';
export * from './model/types.js';
export * from './model/commands.js';
export * from './model/events.js';
export * from './model/policy.js';
export * from './model/decider.js';
