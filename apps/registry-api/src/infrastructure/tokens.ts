/** Injection tokens for the ports the use cases depend on. */
export const SQL_DB = Symbol('SqlDb');
export const EVENT_STORE = Symbol('EventStore');
/** Optional store capabilities, each its own port (libs/event-store/src/port.ts), bound to the configured store. */
export const CHAIN_READER = Symbol('ChainReader');
export const STREAM_CUTTER = Symbol('StreamCutter');
/** Persisted time-travel snapshots (libs/read-models/src/snapshots.ts), a rebuildable cache. */
export const SNAPSHOT_STORE = Symbol('SnapshotStore');
export const CLOCK = Symbol('Clock');
export const ID_GENERATOR = Symbol('IdGenerator');
export const POLICY = Symbol('PromotionPolicy');
export const APP_CONFIG = Symbol('AppConfig');

export interface Clock {
  now(): Date;
}
export interface IdGenerator {
  next(): string;
}
export const AUDIT_KEY = Symbol('AuditKey');
export const APPROVERS = Symbol('ApproverDirectory');
