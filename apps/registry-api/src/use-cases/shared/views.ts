import type { ModelView, VersionView } from '#read-models';
import { notFound } from '#domain';
import type { RegistryQueries } from '#read-models';

/** The public shape of a version (field order is what clients see). */
export function presentVersion(v: VersionView, position?: number) {
  return {
    name: v.name,
    version: v.version,
    /** MLflow's number for this version (registration order), as the MLflow-compatible API shows it. */
    mlflowVersion: v.mlflowVersion ?? null,
    stage: v.stage,
    approvalStatus: v.approvalStatus,
    aliases: v.aliases,
    artifact: v.artifact,
    signature: v.signature ?? null,
    inspection: v.inspection ?? null,
    metrics: v.metrics,
    params: v.params,
    lineage: v.lineage,
    tags: v.tags,
    description: v.description ?? null,
    registeredBy: v.registeredBy,
    registeredAt: v.registeredAt,
    gates: v.gates,
    approvals: v.approvals,
    rejection: v.rejection ?? null,
    duplicateOf: v.duplicateOf ?? null,
    modelCard: v.modelCard ?? null,
    modelCardUri: v.modelCardUri ?? null,
    stageChangedAt: v.stageChangedAt,
    /** Tombstone written by an MLflow delete: hidden from MLflow listings, kept here for the audit trail. */
    deleted: v.deleted ?? null,
    position: position ?? v.position,
  };
}
export type VersionResponse = ReturnType<typeof presentVersion>;

export async function requireVersionView(queries: RegistryQueries, name: string, version: string): Promise<VersionView> {
  const v = await queries.getVersion(name, version);
  if (v) return v;
  if (!(await queries.getModel(name))) throw notFound('MODEL_NOT_FOUND', `model '${name}' does not exist`, { model: name });
  throw notFound('VERSION_NOT_FOUND', `model '${name}' has no version ${version}`, { model: name, version });
}

/** Command responses: the resource as the read model now shows it, stamped with the write's position. */
export async function versionAfterWrite(queries: RegistryQueries, name: string, version: string, position: number, reply: { header(k: string, v: string): unknown }) {
  reply.header('X-Ledger-Position', String(position));
  return presentVersion(await requireVersionView(queries, name, version), position);
}

/** The public shape of a model. */
export function presentModel(m: ModelView, position?: number) {
  return {
    name: m.name,
    description: m.description ?? null,
    owners: m.owners,
    tags: m.tags,
    createdBy: m.createdBy,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    versionCount: m.versionCount,
    aliases: m.aliases,
    latestVersions: m.latestVersions,
    position: position ?? m.position,
  };
}
