export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];
export const APPROVAL_STATUSES = ['PendingManualApproval', 'Approved', 'Rejected'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
/** `pytorch` is a torch.save zip (pickled state), `torchscript` a torch.jit.save one (code + pickles). */
export const ARTIFACT_FORMATS = ['onnx', 'torchscript', 'savedmodel', 'safetensors', 'gguf', 'pickle', 'joblib', 'other', 'pytorch'] as const;
export type ArtifactFormat = (typeof ARTIFACT_FORMATS)[number];

export const MODEL_NAME_MAX_LENGTH = 128;
export const MODEL_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
export const GIT_SHA_PATTERN = /^[0-9a-f]{40}$/;
/** The alias that is the Production stage: moving it is a promotion, and promoting moves it. */
export const PROD_ALIAS = 'prod';

export interface Actor {
  sub: string;
  scopes: string[];
}

export interface Artifact {
  uri: string;
  /** Absent only for versions registered through the MLflow API without one; recorded later at most once. */
  digest?: string;
  sizeBytes?: number;
  format?: ArtifactFormat;
}
/**
 * What an inspector (the CLI) found inside the artifact's bytes, recorded on the registration.
 * The server never sees the bytes: these are the registrant's recorded claims, judged by the
 * `artifact-format` gate and by the unsafe-artifact rule (see artifact-safety.ts).
 */
export interface ArtifactInspection {
  /** The format detected from the bytes. */
  format: ArtifactFormat;
  /** Structure checks passed (headers, offsets). */
  valid: boolean;
  /** False when the artifact runs code on load (a pickle importing os.system, eval, ...). */
  safe: boolean;
  /** The offending globals, e.g. `posix.system`. Any entry makes the artifact unsafe, whatever `safe` says. */
  unsafeGlobals?: string[];
  errors?: string[];
  /** Small facts: IR version, opsets, tensor count, architecture, quantization, ... */
  facts?: Record<string, string | number | boolean>;
  /** Name and version of the inspector, e.g. model-ledger-inspect/1. */
  inspector: string;
}
export interface Signature {
  inputs: unknown;
  outputs: unknown;
}
export interface Lineage {
  runId?: string;
  gitCommit?: string;
  datasetHash?: string;
  image?: { ref: string; digest?: string };
}

export interface GateResult {
  gate: string;
  status: 'passed' | 'failed';
  metrics?: Record<string, number>;
  evidenceUri?: string;
  /** Id of the policy in force when the result was recorded. */
  policy?: string;
  recordedBy: string;
  recordedAt: string;
}

export interface ApprovalRecord {
  sub: string;
  at: string;
  comment?: string;
}

export interface VersionState {
  version: string;
  stage: Stage;
  approvalStatus: ApprovalStatus;
  artifact: Artifact;
  signature?: Signature;
  inspection?: ArtifactInspection;
  metrics: Record<string, number>;
  params: Record<string, string | number | boolean>;
  lineage: Lineage;
  tags: Record<string, string>;
  description?: string;
  modelCard?: string;
  modelCardUri?: string;
  registeredBy: string;
  registeredAt: string;
  duplicateOf?: string;
  gates: Record<string, GateResult>;
  approvals: ApprovalRecord[];
  rejection?: ApprovalRecord;
  stageChangedAt: string;
  /** Has been in Production at some point: only such a version is a rollback target. */
  servedInProduction: boolean;
  /** Revision of the stream when the version was last changed. */
  revision: number;
  /** When the version last changed (any event about it). */
  updatedAt?: string;
  /** MLflow's version number: the version's place in registration order, 1-based. */
  mlflowVersion?: number;
  /** Tombstone: deleted through the MLflow API; hidden from listings and resolution, kept in the audit trail. */
  deleted?: { by: string; at: string };
}

export interface ModelState {
  exists: boolean;
  name: string;
  description?: string;
  owners: string[];
  tags: Record<string, string>;
  createdBy?: string;
  createdAt?: string;
  versions: Record<string, VersionState>;
  aliases: Record<string, string>;
  /** artifact digest → first version registered with it. */
  digests: Record<string, string>;
  /** Versions registered so far (deleted ones included): the next MLflow version number is this + 1. */
  registeredCount?: number;
  /** Tombstone: the model was deleted; its name stays taken (the stream is its identity). */
  deleted?: { by: string; at: string };
  updatedAt?: string;
  revision: number;
}

export function initialModelState(name: string): ModelState {
  return { exists: false, name, owners: [], tags: {}, versions: {}, aliases: {}, digests: {}, revision: -1 };
}

export function productionVersion(state: ModelState): VersionState | undefined {
  return Object.values(state.versions).find((v) => v.stage === 'Production');
}
