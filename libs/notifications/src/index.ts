export * from './message.js';
export * from './channels.js';
export * from './standard-webhooks.js';
