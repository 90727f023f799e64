import { invalid } from '#domain';
import type { SqlDb, SqlValue } from '#persistence';
import type { AliasRow, ModelRow, QueueRow, VersionRow } from './rows.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface VersionView extends VersionRow {
  aliases: string[];
}

export interface ModelView extends ModelRow {
  aliases: Record<string, string>;
  latestVersions: Partial<Record<'None' | 'Staging' | 'Production' | 'Archived', string>>;
}

const encodeCursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Cursors are opaque to clients: one this endpoint did not make is refused, never passed to SQL. */
export const isNameCursor = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;
export const isPositionCursor = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

export function decodeCursor<T>(cursor: string | undefined, valid: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let value: unknown;
  try {
    // base64url round trip: Buffer.from ignores characters outside the alphabet, so check both ways.
    const bytes = Buffer.from(cursor, 'base64url');
    if (bytes.toString('base64url') !== cursor) throw new Error('not base64url');
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!valid(value)) {
    throw invalid('INVALID_CURSOR', 'cursor is not one returned by this endpoint', [
      { field: 'cursor', rule: 'cursor', message: 'pass nextCursor from the previous page of the same endpoint unchanged' },
    ]);
  }
  return value;
}
const likeEscape = (s: string) => s.replace(/[!%_]/g, (c) => `!${c}`);

/** Queries over the live read models (prefix `rm_`). */
export class RegistryQueries {
  constructor(private readonly db: SqlDb) {}

  async listModels(f: { prefix?: string; tag?: string; owner?: string; cursor?: string; limit: number }): Promise<Page<ModelRow>> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (f.prefix) {
      where.push(`name LIKE ? ESCAPE '!'`);
      params.push(`${likeEscape(f.prefix)}%`);
    }
    if (f.owner) {
      where.push(`owners_idx LIKE ? ESCAPE '!'`);
      params.push(`%|${likeEscape(f.owner)}|%`);
    }
    if (f.tag) {
      where.push(`tags_idx LIKE ? ESCAPE '!'`);
      params.push(`%|${likeEscape(f.tag)}|%`);
    }
    const after = decodeCursor(f.cursor, isNameCursor);
    if (after !== undefined) {
      where.push('name > ?');
      params.push(after);
    }
    const sql = `SELECT doc FROM rm_models ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name LIMIT ?`;
    const rows = await this.db.query<{ doc: string }>(sql, [...params, f.limit + 1]);
    const items = rows.slice(0, f.limit).map((r) => JSON.parse(r.doc) as ModelRow);
    return { items, nextCursor: rows.length > f.limit ? encodeCursor(items[items.length - 1].name) : null };
  }

  async getModel(name: string): Promise<ModelView | undefined> {
    const [row] = await this.db.query<{ doc: string }>('SELECT doc FROM rm_models WHERE name = ?', [name]);
    if (!row) return undefined;
    const aliases = await this.db.query<{ alias: string; version: string }>('SELECT alias, version FROM rm_aliases WHERE model = ? ORDER BY alias', [name]);
    const latest = await this.db.query<{ stage: string; version: string }>(
      `SELECT v.stage, v.version FROM rm_versions v
       JOIN (SELECT stage, max(registered_position) AS p FROM rm_versions WHERE model = ? GROUP BY stage) m
         ON v.stage = m.stage AND v.registered_position = m.p
       WHERE v.model = ?`,
      [name, name],
    );
    return {
      ...(JSON.parse(row.doc) as ModelRow),
      aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
      latestVersions: Object.fromEntries(latest.map((l) => [l.stage, l.version])),
    };
  }

  async listVersions(
    name: string,
    f: { stage?: string; approvalStatus?: string; cursor?: string; limit: number },
  ): Promise<Page<VersionView>> {
    const where = ['model = ?'];
    const params: SqlValue[] = [name];
    if (f.stage) {
      where.push('stage = ?');
      params.push(f.stage);
    }
    if (f.approvalStatus) {
      where.push('approval_status = ?');
      params.push(f.approvalStatus);
    }
    const before = decodeCursor(f.cursor, isPositionCursor);
    if (before !== undefined) {
      where.push('registered_position < ?');
      params.push(before);
    }
    const rows = await this.db.query<{ doc: string }>(
      `SELECT doc FROM rm_versions WHERE ${where.join(' AND ')} ORDER BY registered_position DESC LIMIT ?`,
      [...params, f.limit + 1],
    );
    const aliases = await this.aliasesByVersion(name);
    const items = rows.slice(0, f.limit).map((r) => {
      const v = JSON.parse(r.doc) as VersionRow;
      return { ...v, aliases: aliases.get(v.version) ?? [] };
    });
    return { items, nextCursor: rows.length > f.limit ? encodeCursor(items[items.length - 1].registeredPosition) : null };
  }

  async getVersion(name: string, version: string): Promise<VersionView | undefined> {
    const [row] = await this.db.query<{ doc: string }>('SELECT doc FROM rm_versions WHERE model = ? AND version = ?', [name, version]);
    if (!row) return undefined;
    const aliases = await this.db.query<{ alias: string }>('SELECT alias FROM rm_aliases WHERE model = ? AND version = ? ORDER BY alias', [
      name,
      version,
    ]);
    return { ...(JSON.parse(row.doc) as VersionRow), aliases: aliases.map((a) => a.alias) };
  }

  async getAlias(name: string, alias: string): Promise<AliasRow | undefined> {
    const [row] = await this.db.query<{ doc: string }>('SELECT doc FROM rm_aliases WHERE model = ? AND alias = ?', [name, alias]);
    return row ? (JSON.parse(row.doc) as AliasRow) : undefined;
  }

  /** One round trip for `models:/name@alias`: the version's document and all its aliases. */
  async resolveAlias(name: string, alias: string): Promise<VersionView | undefined> {
    const aliasesOf =
      this.db.dialect === 'postgres'
        ? "(SELECT string_agg(x.alias, ',' ORDER BY x.alias) FROM rm_aliases x WHERE x.model = a.model AND x.version = a.version)"
        : "(SELECT group_concat(alias, ',') FROM (SELECT x.alias FROM rm_aliases x WHERE x.model = a.model AND x.version = a.version ORDER BY x.alias))";
    const [row] = await this.db.query<{ doc: string; aliases: string | null }>(
      `SELECT v.doc AS doc, ${aliasesOf} AS aliases FROM rm_aliases a JOIN rm_versions v ON v.model = a.model AND v.version = a.version WHERE a.model = ? AND a.alias = ?`,
      [name, alias],
    );
    if (!row) return undefined;
    return { ...(JSON.parse(row.doc) as VersionRow), aliases: row.aliases ? row.aliases.split(',') : [] };
  }

  async approvalQueue(f: { model?: string; cursor?: string; limit: number }): Promise<Page<QueueRow>> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (f.model) {
      where.push('model = ?');
      params.push(f.model);
    }
    const after = decodeCursor(f.cursor, isPositionCursor);
    if (after !== undefined) {
      where.push('registered_position > ?');
      params.push(after);
    }
    const rows = await this.db.query<{ doc: string }>(
      `SELECT doc FROM rm_approval_queue ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY registered_position LIMIT ?`,
      [...params, f.limit + 1],
    );
    const items = rows.slice(0, f.limit).map((r) => JSON.parse(r.doc) as QueueRow);
    return { items, nextCursor: rows.length > f.limit ? encodeCursor(items[items.length - 1].position) : null };
  }

  private async aliasesByVersion(name: string): Promise<Map<string, string[]>> {
    const rows = await this.db.query<{ alias: string; version: string }>('SELECT alias, version FROM rm_aliases WHERE model = ? ORDER BY alias', [name]);
    const map = new Map<string, string[]>();
    for (const r of rows) map.set(r.version, [...(map.get(r.version) ?? []), r.alias]);
    return map;
  }
}
