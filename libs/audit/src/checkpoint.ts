import { CompactSign, importJWK } from 'jose';
import { uuidv7 } from '#persistence';
import { decideAndAppend, type EventStore, type RecordedEvent } from '#event-store';
import { CHECKPOINT_ACTOR, CHECKPOINT_EVENT, CHECKPOINT_STREAM, checkpointLedger, type CheckpointClaim, type CheckpointData } from '#domain';
import type { AuditKey } from './audit-key.js';

export { CHECKPOINT_ACTOR, CHECKPOINT_EVENT, CHECKPOINT_STREAM, type CheckpointClaim, type CheckpointData } from '#domain';

export async function signCheckpoint(key: AuditKey, claim: CheckpointClaim): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, 'EdDSA');
  const payload = new TextEncoder().encode(JSON.stringify({ position: claim.position, hash: claim.hash, recordedAt: claim.recordedAt }));
  return new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'audit-checkpoint+jws' }).sign(privateKey);
}

export function isCheckpoint(e: { stream: string; type: string }): boolean {
  return e.stream === CHECKPOINT_STREAM && e.type === CHECKPOINT_EVENT;
}

/**
 * Signs the current head of the chain and appends it to `$audit-checkpoints`. Returns undefined
 * when there is nothing new since the last checkpoint (the head is itself a checkpoint).
 */
export async function writeCheckpoint(store: EventStore, key: AuditKey): Promise<RecordedEvent | undefined> {
  const head = await store.headPosition();
  if (head === 0) return undefined;
  const [last] = await store.readAll({ fromPosition: head - 1, limit: 1 });
  if (!last || isCheckpoint(last) || !last.hash) return undefined;
  const claim: CheckpointClaim = { position: last.position, hash: last.hash, recordedAt: last.recordedAt };
  const checkpoint: CheckpointData = { ...claim, kid: key.kid, jws: await signCheckpoint(key, claim) };
  const id = uuidv7();
  const { recorded } = await decideAndAppend(store, CHECKPOINT_STREAM, checkpointLedger, { type: 'RecordCheckpoint', checkpoint }, {
    newId: () => id,
    metadata: { actor: { sub: CHECKPOINT_ACTOR, scopes: [] }, correlationId: id },
  });
  return recorded[0];
}
