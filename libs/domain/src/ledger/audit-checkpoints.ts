import type { Decider } from '../decider.js';

export const CHECKPOINT_STREAM = '$audit-checkpoints';
export const CHECKPOINT_EVENT = 'AuditCheckpoint';
export const CHECKPOINT_ACTOR = 'system:audit';

/** What a checkpoint signs: the chain head it saw. */
export interface CheckpointClaim {
  position: number;
  hash: string;
  recordedAt: string;
}

/** Payload of an AuditCheckpoint event: the claim in clear plus the compact JWS over it. */
export interface CheckpointData extends CheckpointClaim {
  kid: string;
  jws: string;
}

/** Events of the `$audit-checkpoints` stream. */
export interface AuditCheckpointEventDataMap {
  AuditCheckpoint: CheckpointData;
}

export interface CheckpointLedgerState {
  /** Chain position the last checkpoint signed (0: none yet). */
  lastSigned: number;
}

/** A signed claim over the chain head, to be recorded unless a checkpoint already covers it. */
export interface RecordCheckpoint {
  type: 'RecordCheckpoint';
  checkpoint: CheckpointData;
}

export const checkpointLedger: Decider<RecordCheckpoint, CheckpointLedgerState, AuditCheckpointEventDataMap> = {
  initialState: () => ({ lastSigned: 0 }),
  evolve: (state, event) => ({ lastSigned: Math.max(state.lastSigned, event.data.position) }),
  // A concurrent writer that signed the same head (or an older one) records nothing.
  decide: (command, state) => (command.checkpoint.position <= state.lastSigned ? [] : [{ type: CHECKPOINT_EVENT, data: command.checkpoint }]),
};
