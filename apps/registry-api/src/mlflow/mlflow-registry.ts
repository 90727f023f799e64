import { Injectable } from '@nestjs/common';
import {
  ARTIFACT_FORMATS,
  DIGEST_PATTERN,
  GIT_SHA_PATTERN,
  MODEL_NAME_PATTERN,
  SEMVER_PATTERN,
  type ArtifactFormat,
  type Lineage,
  type ModelCommand,
  type ModelState,
  type VersionState,
} from '#domain';
import { RegistryQueries, type ModelRow } from '#read-models';
import { CommandService } from '../application/command-service.js';
import type { RequestContext } from '../application/request-context.js';
import { MlflowError, invalidParam } from './mlflow-errors.js';
import { FilterSyntaxError, MODEL_FILTER, VERSION_FILTER, matches, parseFilter, parseOrderBy, type OrderBy } from './search-filter.js';

/** Tags that carry ledger facts (the contract): read at registration, shown on every version. */
export const TAG = {
  version: 'model_ledger.version',
  digest: 'model_ledger.artifact_digest',
  datasetHash: 'model_ledger.dataset_hash',
  image: 'model_ledger.image',
  format: 'model_ledger.format',
  changeKind: 'model_ledger.change_kind',
  gitCommit: 'mlflow.source.git.commit',
} as const;
/** Where MLflow's `run_link` is kept on the version (shown as `run_link`, not as a tag). */
const RUN_LINK_TAG = 'model_ledger.run_link';
const CONTRACT_TAGS = new Set<string>([...Object.values(TAG), RUN_LINK_TAG]);

export type Json = Record<string, unknown>;
type Source = Record<string, unknown>;

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : 0);
const STAGES: Record<string, 'None' | 'Staging' | 'Production' | 'Archived'> = { none: 'None', staging: 'Staging', production: 'Production', archived: 'Archived' };

// ------------------------------------------------------------------ request fields
export function str(src: Source, field: string, required: true): string;
export function str(src: Source, field: string, required?: false): string | undefined;
export function str(src: Source, field: string, required = false): string | undefined {
  const v = src[field];
  if (v === undefined || v === null || v === '') {
    if (required) throw invalidParam(`Missing value for required parameter '${field}'.`);
    return undefined;
  }
  if (typeof v !== 'string') throw invalidParam(`Parameter '${field}' must be a string.`);
  if (v.length > 5000) throw invalidParam(`Parameter '${field}' is longer than 5000 characters.`);
  return v;
}

function modelName(src: Source, field = 'name'): string {
  const name = str(src, field, true);
  if (!MODEL_NAME_PATTERN.test(name)) {
    throw invalidParam(`Invalid value '${name.slice(0, 130)}' for parameter '${field}': model-ledger names match ${MODEL_NAME_PATTERN.source}`);
  }
  return name;
}

function versionNumber(src: Source): number {
  const raw = str(src, 'version', true);
  if (!/^[1-9]\d{0,8}$/.test(raw)) throw invalidParam(`Invalid value '${raw.slice(0, 40)}' for parameter 'version': must be a positive integer (MLflow version number).`);
  return Number(raw);
}

function tagList(src: Source): Record<string, string> {
  const raw = src.tags;
  if (raw === undefined || raw === null) return {};
  if (!Array.isArray(raw) || raw.length > 100) throw invalidParam("Parameter 'tags' must be a list of at most 100 {key, value} objects.");
  const out: Record<string, string> = {};
  for (const t of raw) {
    if (!t || typeof t !== 'object') throw invalidParam("Each entry of 'tags' must be an object {key, value}.");
    const key = str(t as Source, 'key', true);
    const value = (t as Source).value ?? '';
    if (typeof value !== 'string') throw invalidParam(`Tag '${key}' must have a string value.`);
    out[key] = value;
  }
  return out;
}

function listParam(src: Source, field: string): string[] {
  const v = src[field];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  if (list.some((x) => typeof x !== 'string') || list.length > 10) throw invalidParam(`Parameter '${field}' must be a list of at most 10 strings.`);
  return list as string[];
}

function maxResults(src: Source, dflt: number, max: number): number {
  const v = src.max_results;
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalidParam(`Invalid value for parameter 'max_results': must be an integer from 1 to ${max}.`);
  return n;
}

function pageOffset(src: Source): number {
  const token = str(src, 'page_token');
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString()) as { offset?: unknown };
    if (Number.isInteger(parsed.offset) && (parsed.offset as number) >= 0) return parsed.offset as number;
  } catch {
    // fall through to the error below
  }
  throw invalidParam("Invalid page token: pass the 'next_page_token' of the previous response unchanged.");
}

const nextToken = (offset: number, size: number, total: number) =>
  offset + size < total ? Buffer.from(JSON.stringify({ offset: offset + size })).toString('base64') : undefined;

function withFilterErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw invalidParam(`Invalid filter/order_by: ${err.message}`);
    throw err;
  }
}

// ------------------------------------------------------------------ presentation
function contractTags(v: Pick<VersionState, 'version' | 'artifact' | 'lineage'>): Record<string, string> {
  const out: Record<string, string> = { [TAG.version]: v.version };
  if (v.artifact.digest) out[TAG.digest] = v.artifact.digest;
  if (v.artifact.format) out[TAG.format] = v.artifact.format;
  if (v.lineage.datasetHash) out[TAG.datasetHash] = v.lineage.datasetHash;
  if (v.lineage.gitCommit) out[TAG.gitCommit] = v.lineage.gitCommit;
  const img = v.lineage.image;
  if (img) out[TAG.image] = img.digest && !img.ref.includes('@') ? `${img.ref}@${img.digest}` : img.ref;
  return out;
}

const tagArray = (tags: Record<string, string>) =>
  Object.entries(tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));

function aliasesOf(state: ModelState, semver: string): string[] {
  return Object.entries(state.aliases)
    .filter(([, v]) => v === semver)
    .map(([a]) => a)
    .sort();
}

/** What a version view needs: the domain's VersionState or the read model's row (same fields). */
type VersionFields = Pick<VersionState, 'version' | 'mlflowVersion' | 'registeredAt' | 'updatedAt' | 'registeredBy' | 'stage' | 'description' | 'artifact' | 'lineage' | 'tags'>;

export function presentVersion(state: ModelState, v: VersionState): Json {
  return versionJson(state.name, v, aliasesOf(state, v.version));
}

export function versionJson(name: string, v: VersionFields, aliases: string[]): Json {
  const { [RUN_LINK_TAG]: runLink, ...userTags } = v.tags;
  return {
    name,
    version: String(v.mlflowVersion ?? 0),
    creation_timestamp: ms(v.registeredAt),
    last_updated_timestamp: ms(v.updatedAt ?? v.registeredAt),
    user_id: v.registeredBy,
    current_stage: v.stage,
    description: v.description ?? '',
    source: v.artifact.uri,
    run_id: v.lineage.runId ?? '',
    status: 'READY',
    tags: tagArray({ ...userTags, ...contractTags(v) }),
    run_link: runLink ?? '',
    ...(aliases.length ? { aliases } : {}),
  };
}

const liveVersions = (state: ModelState) => Object.values(state.versions).filter((v) => !v.deleted);

/** Latest (highest MLflow number) live version per stage, in MLflow's stage order. */
function latestPerStage(state: ModelState, stages?: string[]): VersionState[] {
  const wanted = stages?.length ? stages.map((s) => STAGES[s.toLowerCase()]).filter(Boolean) : ['None', 'Staging', 'Production', 'Archived'];
  const out: VersionState[] = [];
  for (const stage of wanted) {
    const best = liveVersions(state)
      .filter((v) => v.stage === stage)
      .sort((a, b) => (b.mlflowVersion ?? 0) - (a.mlflowVersion ?? 0))[0];
    if (best) out.push(best);
  }
  return out;
}

export function presentModel(state: ModelState): Json {
  const latest = latestPerStage(state);
  const aliases = Object.entries(state.aliases)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([alias, semver]) => ({ alias, version: String(state.versions[semver]?.mlflowVersion ?? 0) }));
  return {
    name: state.name,
    creation_timestamp: ms(state.createdAt),
    last_updated_timestamp: ms(state.updatedAt ?? state.createdAt),
    user_id: state.createdBy ?? '',
    description: state.description ?? '',
    ...(latest.length ? { latest_versions: latest.map((v) => presentVersion(state, v)) } : {}),
    ...(Object.keys(state.tags).length ? { tags: tagArray(state.tags) } : {}),
    ...(aliases.length ? { aliases } : {}),
  };
}

// ------------------------------------------------------------------ the registry
/**
 * MLflow's Model Registry over the ledger: every write is a domain command through the same
 * CommandService (decider, policy, approvals, hash chain, relay), stamped `via: mlflow`; reads
 * fold the model stream (cached by the CommandService), so they always see the latest write.
 */
@Injectable()
export class MlflowRegistry {
  constructor(
    private readonly commands: CommandService,
    private readonly queries: RegistryQueries,
  ) {}

  private run(model: string, command: ModelCommand, ctx: RequestContext) {
    return this.commands.execute(model, command, { ...ctx, via: 'mlflow' });
  }

  private async liveModel(name: string): Promise<ModelState> {
    const { state } = await this.commands.load(name);
    if (!state.exists || state.deleted) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
    return state;
  }

  private byNumber(state: ModelState, n: number): VersionState {
    const v = liveVersions(state).find((x) => x.mlflowVersion === n);
    if (!v) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Model Version (name=${state.name}, version=${n}) not found`);
    return v;
  }

  // ---------------- registered models
  async createModel(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const tags = tagList(body);
    const description = str(body, 'description');
    const r = await this.run(name, { type: 'CreateModel', name, tags, ...(description !== undefined ? { description } : {}) }, ctx);
    return { registered_model: presentModel(r.state) };
  }

  async getModel(q: Source): Promise<Json> {
    return { registered_model: presentModel(await this.liveModel(modelName(q))) };
  }

  async updateModel(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const description = str(body, 'description') ?? '';
    await this.liveModel(name);
    const r = await this.run(name, { type: 'UpdateModelDescription', description }, ctx);
    return { registered_model: presentModel(r.state) };
  }

  rename(body: Source): never {
    const name = modelName(body);
    throw invalidParam(
      `Registered model '${name}' cannot be renamed: names are permanent in model-ledger (the name is the model's audit stream identity and what policy overrides and qualified scopes match on). Register under the new name instead.`,
    );
  }

  async deleteModel(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    await this.liveModel(name);
    await this.run(name, { type: 'DeleteModel' }, ctx);
    return {};
  }

  async setModelTag(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const key = str(body, 'key', true);
    const value = typeof body.value === 'string' ? body.value : (str(body, 'value') ?? '');
    await this.liveModel(name);
    await this.run(name, { type: 'SetModelTag', key, value }, ctx);
    return {};
  }

  async deleteModelTag(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const key = str(body, 'key', true);
    await this.liveModel(name);
    await this.run(name, { type: 'DeleteModelTag', key }, ctx);
    return {};
  }

  async searchModels(q: Source): Promise<Json> {
    const clauses = withFilterErrors(() => parseFilter(str(q, 'filter'), MODEL_FILTER));
    const order = withFilterErrors(() => parseOrderBy(listParam(q, 'order_by'), ['name', 'timestamp', 'creation_timestamp', 'last_updated_timestamp']));
    const limit = maxResults(q, 100, 1000);
    const offset = pageOffset(q);
    const exact = clauses.find((c) => c.key.kind === 'attribute' && c.key.name === 'name' && c.op === '=');
    const rows: ModelRow[] = [];
    if (exact) {
      const row = await this.queries.getModel(String(exact.value));
      if (row) rows.push(row);
    } else {
      for (let cursor: string | undefined; ; ) {
        const page = await this.queries.listModels({ limit: 500, ...(cursor ? { cursor } : {}) });
        rows.push(...page.items);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
    }
    const hits = rows.filter((r) => !r.deleted && matches(clauses, (k) => (k === 'name' ? r.name : undefined), r.tags));
    sortBy(hits, order.length ? order : [{ key: 'name', desc: false }], (r, key) =>
      key === 'name' ? r.name : key === 'last_updated_timestamp' ? ms(r.updatedAt) : ms(r.createdAt),
    );
    const page = hits.slice(offset, offset + limit);
    const models = [];
    for (const r of page) models.push(presentModel((await this.commands.load(r.name)).state));
    const token = nextToken(offset, page.length, hits.length);
    return { registered_models: models, ...(token ? { next_page_token: token } : {}) };
  }

  async latestVersions(src: Source): Promise<Json> {
    const state = await this.liveModel(modelName(src));
    const stages = listParam(src, 'stages');
    for (const s of stages) if (!STAGES[s.toLowerCase()]) throw invalidParam(`Invalid Model Version stage: ${s}. Value must be one of None, Staging, Production, Archived.`);
    return { model_versions: latestPerStage(state, stages).map((v) => presentVersion(state, v)) };
  }

  async setAlias(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const alias = str(body, 'alias', true);
    const state = await this.liveModel(name);
    const v = this.byNumber(state, versionNumber(body));
    await this.run(name, { type: 'SetAlias', alias, version: v.version }, ctx);
    return {};
  }

  async deleteAlias(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const alias = str(body, 'alias', true);
    await this.liveModel(name);
    await this.run(name, { type: 'RemoveAlias', alias }, ctx);
    return {};
  }

  /** The hot read path (`models:/name@alias`): one read-model query, like the native resolve. */
  async versionByAlias(q: Source): Promise<Json> {
    const name = modelName(q);
    const alias = str(q, 'alias', true);
    const v = await this.queries.resolveAlias(name, alias);
    // A tombstone never keeps an alias (deletes remove them in the same append); checked anyway.
    if (!v || v.deleted) {
      await this.liveModel(name);
      throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Registered model alias ${alias} not found.`);
    }
    return { model_version: versionJson(name, v, v.aliases) };
  }

  // ---------------- model versions
  async createVersion(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const source = str(body, 'source', true);
    if (source.length > 2048) throw invalidParam("Parameter 'source' is longer than 2048 characters.");
    const runId = str(body, 'run_id');
    const runLink = str(body, 'run_link');
    const description = str(body, 'description');
    const { [TAG.version]: requested, [TAG.digest]: digest, [TAG.format]: format, [TAG.datasetHash]: datasetHash, [TAG.image]: image, [TAG.changeKind]: changeKind, [TAG.gitCommit]: gitCommit, [RUN_LINK_TAG]: _forgedRunLink, ...tags } =
      tagList(body);
    if (_forgedRunLink !== undefined) throw invalidParam(`Tag '${RUN_LINK_TAG}' is reserved; send run_link instead.`);
    if (requested !== undefined && !SEMVER_PATTERN.test(requested)) throw invalidParam(`Tag '${TAG.version}' must be semver MAJOR.MINOR.PATCH (or omitted to let the server assign it).`);
    if (digest !== undefined && !DIGEST_PATTERN.test(digest)) throw invalidParam(`Tag '${TAG.digest}' must be "sha256:" followed by 64 lowercase hex characters.`);
    if (format !== undefined && !(ARTIFACT_FORMATS as readonly string[]).includes(format)) throw invalidParam(`Tag '${TAG.format}' must be one of ${ARTIFACT_FORMATS.join(', ')}.`);
    if (changeKind !== undefined && changeKind !== 'fix' && changeKind !== 'retrain') throw invalidParam(`Tag '${TAG.changeKind}' must be 'fix' or 'retrain'.`);
    if (gitCommit !== undefined && !GIT_SHA_PATTERN.test(gitCommit)) throw invalidParam(`Tag '${TAG.gitCommit}' must be a full 40-character lowercase hex SHA-1.`);
    if (datasetHash !== undefined && datasetHash.length > 256) throw invalidParam(`Tag '${TAG.datasetHash}' is longer than 256 characters.`);
    const lineage: Lineage = {
      ...(runId ? { runId } : {}),
      ...(gitCommit ? { gitCommit } : {}),
      ...(datasetHash ? { datasetHash } : {}),
      ...(image ? { image: parseImage(image) } : {}),
    };
    await this.liveModel(name);
    const r = await this.run(
      name,
      {
        type: 'RegisterVersion',
        ...(requested ? { version: requested } : {}),
        ...(changeKind ? { changeKind: changeKind as 'fix' | 'retrain' } : {}),
        artifact: { uri: source, ...(digest ? { digest } : {}), ...(format ? { format: format as ArtifactFormat } : {}) },
        lineage,
        tags: { ...tags, ...(runLink ? { [RUN_LINK_TAG]: runLink } : {}) },
        ...(description !== undefined ? { description } : {}),
        // MLflow registers the same artifact again without ceremony; the ledger records it as duplicateOf.
        allowDuplicateArtifact: true,
        allowMissingDigest: true,
      },
      ctx,
    );
    const registered = r.events.find((e) => e.type === 'VersionRegistered');
    const semver = registered?.type === 'VersionRegistered' ? registered.data.version : undefined;
    return { model_version: presentVersion(r.state, r.state.versions[semver!]) };
  }

  async getVersion(q: Source): Promise<Json> {
    const state = await this.liveModel(modelName(q));
    return { model_version: presentVersion(state, this.byNumber(state, versionNumber(q))) };
  }

  async updateVersion(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const state = await this.liveModel(name);
    const v = this.byNumber(state, versionNumber(body));
    const r = await this.run(name, { type: 'UpdateVersionDescription', version: v.version, description: str(body, 'description') ?? '' }, ctx);
    return { model_version: presentVersion(r.state, r.state.versions[v.version]) };
  }

  async deleteVersion(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const state = await this.liveModel(name);
    const v = this.byNumber(state, versionNumber(body));
    await this.run(name, { type: 'DeleteVersion', version: v.version }, ctx);
    return {};
  }

  async downloadUri(q: Source): Promise<Json> {
    const state = await this.liveModel(modelName(q));
    return { artifact_uri: this.byNumber(state, versionNumber(q)).artifact.uri };
  }

  async transitionStage(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const raw = str(body, 'stage', true);
    const stage = STAGES[raw.toLowerCase()];
    if (!stage) throw invalidParam(`Invalid Model Version stage: ${raw.slice(0, 40)}. Value must be one of None, Staging, Production, Archived.`);
    if (stage === 'None') throw invalidParam('Moving a version back to stage None is not supported by model-ledger: archive it, or stage it for re-evaluation.');
    const state = await this.liveModel(name);
    const v = this.byNumber(state, versionNumber(body));
    // Production always archives the incumbent (one version in Production), whatever archive_existing_versions says.
    const r = await this.run(name, { type: 'TransitionStage', version: v.version, stage, ...(stage === 'Production' ? { archiveExisting: true } : {}) }, ctx);
    return { model_version: presentVersion(r.state, r.state.versions[v.version]) };
  }

  async setVersionTag(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const key = str(body, 'key', true);
    const value = typeof body.value === 'string' ? body.value : (str(body, 'value') ?? '');
    const state = await this.liveModel(name);
    const v = this.byNumber(state, versionNumber(body));
    if (key === TAG.digest) {
      await this.run(name, { type: 'RecordArtifactDigest', version: v.version, digest: value }, ctx);
      return {};
    }
    if (CONTRACT_TAGS.has(key)) {
      if (contractTags(v)[key] === value) return {};
      throw invalidParam(`Tag '${key}' is recorded at registration and never changes (only '${TAG.digest}' may be added later, once).`);
    }
    await this.run(name, { type: 'SetVersionTag', version: v.version, key, value }, ctx);
    return {};
  }

  async deleteVersionTag(body: Source, ctx: RequestContext): Promise<Json> {
    const name = modelName(body);
    const key = str(body, 'key', true);
    const state = await this.liveModel(name);
    const v = this.byNumber(state, versionNumber(body));
    if (CONTRACT_TAGS.has(key)) throw invalidParam(`Tag '${key}' is a ledger fact and cannot be deleted.`);
    await this.run(name, { type: 'DeleteVersionTag', version: v.version, key }, ctx);
    return {};
  }

  async searchVersions(q: Source): Promise<Json> {
    const clauses = withFilterErrors(() => parseFilter(str(q, 'filter'), VERSION_FILTER));
    const order = withFilterErrors(() =>
      parseOrderBy(listParam(q, 'order_by'), ['name', 'version_number', 'timestamp', 'creation_timestamp', 'last_updated_timestamp']),
    );
    const limit = maxResults(q, 10000, 200000);
    const offset = pageOffset(q);
    const exact = clauses.find((c) => c.key.kind === 'attribute' && c.key.name === 'name' && c.op === '=');
    const names: string[] = [];
    if (exact) names.push(String(exact.value));
    else {
      for (let cursor: string | undefined; ; ) {
        const page = await this.queries.listModels({ limit: 500, ...(cursor ? { cursor } : {}) });
        names.push(...page.items.filter((m) => !m.deleted).map((m) => m.name));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
    }
    const hits: { state: ModelState; v: VersionState }[] = [];
    for (const name of names) {
      const { state } = await this.commands.load(name);
      if (!state.exists || state.deleted) continue;
      for (const v of liveVersions(state)) {
        const attr = (k: string) =>
          k === 'name' ? state.name : k === 'run_id' ? v.lineage.runId : k === 'source_path' ? v.artifact.uri : k === 'version_number' ? v.mlflowVersion : undefined;
        const { [RUN_LINK_TAG]: _l, ...userTags } = v.tags;
        if (matches(clauses, attr, { ...userTags, ...contractTags(v) })) hits.push({ state, v });
      }
    }
    // MLflow's default: newest first (last_updated desc, then name, then version desc).
    sortBy(hits, order.length ? order : [{ key: 'version_number', desc: true }], (h, key) =>
      key === 'name'
        ? h.state.name
        : key === 'version_number'
          ? (h.v.mlflowVersion ?? 0)
          : key === 'last_updated_timestamp'
            ? ms(h.v.updatedAt ?? h.v.registeredAt)
            : ms(h.v.registeredAt),
    );
    const page = hits.slice(offset, offset + limit);
    const token = nextToken(offset, page.length, hits.length);
    return { model_versions: page.map((h) => presentVersion(h.state, h.v)), ...(token ? { next_page_token: token } : {}) };
  }
}

function parseImage(text: string): { ref: string; digest?: string } {
  if (text.length > 512) throw invalidParam(`Tag '${TAG.image}' is longer than 512 characters.`);
  const at = /@(sha256:[0-9a-f]{64})$/.exec(text);
  return at ? { ref: text, digest: at[1] } : { ref: text };
}

function sortBy<T>(items: T[], order: OrderBy[], value: (item: T, key: string) => string | number): void {
  items.sort((a, b) => {
    for (const o of order) {
      const x = value(a, o.key);
      const y = value(b, o.key);
      if (x === y) continue;
      const c = x < y ? -1 : 1;
      return o.desc ? -c : c;
    }
    return 0;
  });
}
