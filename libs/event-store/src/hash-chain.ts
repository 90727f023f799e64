import { hash } from 'node:crypto';
import { canonicalize } from './jcs.js';
import type { ChainLink, EventEnvelope } from './port.js';

/** prevHash of the event at position 1: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

/** The envelope fields an event's hash covers, besides data and metadata: everything but the hash itself. */
export type ChainedFields = EventEnvelope & Pick<ChainLink, 'prevHash'>;

/**
 * The exact text an event's hash is computed over: the RFC 8785 canonical form of
 * `{data, id, metadata, position, prevHash, recordedAt, revision, schemaVersion, stream, type}`.
 * Built by concatenation in JCS member order (the names are fixed and sorted here) from the
 * already-canonical `data` and `metadata` texts, so a verifier that holds those texts (the SQLite
 * adapter stores them as such) never has to re-parse them. `hashInput(...) ===
 * canonicalize(envelope)` is a unit test.
 */
export function hashInput(f: ChainedFields, dataJcs: string, metadataJcs: string): string {
  if (!Number.isSafeInteger(f.position) || !Number.isSafeInteger(f.revision) || !Number.isSafeInteger(f.schemaVersion)) {
    throw new Error('position, revision and schemaVersion must be safe integers');
  }
  return (
    `{"data":${dataJcs},"id":${jcsString(f.id)},"metadata":${metadataJcs},"position":${f.position},` +
    `"prevHash":${jcsString(f.prevHash)},"recordedAt":${jcsString(f.recordedAt)},"revision":${f.revision},` +
    `"schemaVersion":${f.schemaVersion},"stream":${jcsString(f.stream)},"type":${jcsString(f.type)}}`
  );
}

const SURROGATE = /[\ud800-\udfff]/;
/** A JCS string literal: JSON.stringify's escaping is JCS's; only strings with surrogates need the full check. */
export const jcsString = (s: string): string => (SURROGATE.test(s) ? canonicalize(s) : JSON.stringify(s));

/** Lower-case hex SHA-256 of the UTF-8 bytes of `hashInput`. */
export function sha256Hex(text: string): string {
  // One-shot hashing: no Hash object per event (verify hashes millions of short texts).
  return hash('sha256', text, 'hex');
}

export function eventHash(f: ChainedFields, data: unknown, metadata: unknown): string {
  return sha256Hex(hashInput(f, canonicalize(data), canonicalize(metadata)));
}
