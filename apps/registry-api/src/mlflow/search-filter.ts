/**
 * MLflow's search filter grammar, as the MLflow client sends it for the Model Registry:
 * `<key> <op> <value>` clauses joined by AND, where key is `name`, `run_id`, `source_path`,
 * `version_number`, or `tags.<k>` / `tag.<k>` (k bare, `backquoted`, or "quoted"), op is
 * = != LIKE ILIKE (IN / NOT IN for run_id; < <= > >= for version_number), values are
 * 'single' or "double" quoted strings (numbers for version_number). Pure: parse, then match.
 */
export type Comparator = '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | '<' | '<=' | '>' | '>=';
export interface Clause {
  key: { kind: 'attribute'; name: string } | { kind: 'tag'; name: string };
  op: Comparator;
  value: string | string[] | number;
}

export class FilterSyntaxError extends Error {}

const TOKEN = /\s*(?:(`(?:[^`]|``)*`)|('(?:[^'\\]|\\.)*')|("(?:[^"\\]|\\.)*")|(\()|(\))|(,)|(!=|<=|>=|=|<|>)|([A-Za-z_][A-Za-z0-9_.]*)|(-?\d+(?:\.\d+)?))/y;

type Token = { t: 'ident' | 'string' | 'bq' | 'op' | '(' | ')' | ',' | 'number'; v: string };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < input.length) {
    if (/^\s*$/.test(input.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(input);
    if (!m) throw new FilterSyntaxError(`cannot parse the filter near '${input.slice(at, at + 20).trim()}'`);
    at = TOKEN.lastIndex;
    if (m[1]) out.push({ t: 'bq', v: m[1].slice(1, -1).replace(/``/g, '`') });
    else if (m[2] || m[3]) out.push({ t: 'string', v: (m[2] ?? m[3]).slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (m[4]) out.push({ t: '(', v: '(' });
    else if (m[5]) out.push({ t: ')', v: ')' });
    else if (m[6]) out.push({ t: ',', v: ',' });
    else if (m[7]) out.push({ t: 'op', v: m[7] });
    else if (m[8]) out.push({ t: 'ident', v: m[8] });
    else out.push({ t: 'number', v: m[9] });
  }
  return out;
}

export interface FilterSpec {
  attributes: Record<string, { ops: Comparator[]; numeric?: boolean }>;
  tags: boolean;
}

export const MODEL_FILTER: FilterSpec = { attributes: { name: { ops: ['=', '!=', 'LIKE', 'ILIKE'] } }, tags: true };
export const VERSION_FILTER: FilterSpec = {
  attributes: {
    name: { ops: ['=', '!=', 'LIKE', 'ILIKE'] },
    run_id: { ops: ['=', '!=', 'IN', 'NOT IN'] },
    source_path: { ops: ['=', '!=', 'LIKE', 'ILIKE'] },
    version_number: { ops: ['=', '!=', '<', '<=', '>', '>='], numeric: true },
  },
  tags: true,
};

export function parseFilter(input: string | undefined, spec: FilterSpec): Clause[] {
  if (!input || !input.trim()) return [];
  if (input.length > 4000) throw new FilterSyntaxError('filter is longer than 4000 characters');
  const tokens = tokenize(input);
  const clauses: Clause[] = [];
  let i = 0;
  const next = () => tokens[i++];
  for (;;) {
    const head = next();
    if (!head) throw new FilterSyntaxError('filter ends where a clause was expected');
    let key: Clause['key'];
    if (head.t === 'ident' && /^tags?\./i.test(head.v)) {
      if (!spec.tags) throw new FilterSyntaxError('tags cannot be filtered here');
      let name = head.v.slice(head.v.indexOf('.') + 1);
      if (!name) {
        const quoted = next();
        if (!quoted || (quoted.t !== 'bq' && quoted.t !== 'string')) throw new FilterSyntaxError(`'${head.v}' must be followed by a tag key`);
        name = quoted.v;
      }
      key = { kind: 'tag', name };
    } else if (head.t === 'ident' || head.t === 'bq') {
      const name = head.v.replace(/^attributes?\./i, '');
      if (!spec.attributes[name]) {
        throw new FilterSyntaxError(`invalid attribute key '${name}'; valid: ${[...Object.keys(spec.attributes), ...(spec.tags ? ['tags.<key>'] : [])].join(', ')}`);
      }
      key = { kind: 'attribute', name };
    } else {
      throw new FilterSyntaxError(`expected a key, found '${head.v}'`);
    }
    let opTok = next();
    if (!opTok) throw new FilterSyntaxError(`missing comparator after '${key.name}'`);
    let op: Comparator;
    if (opTok.t === 'op') op = opTok.v as Comparator;
    else if (opTok.t === 'ident' && /^(i?like|in)$/i.test(opTok.v)) op = opTok.v.toUpperCase() as Comparator;
    else if (opTok.t === 'ident' && /^not$/i.test(opTok.v)) {
      opTok = next();
      if (!opTok || !/^in$/i.test(opTok.v)) throw new FilterSyntaxError("expected IN after NOT");
      op = 'NOT IN';
    } else throw new FilterSyntaxError(`invalid comparator '${opTok.v}'`);
    const allowed = key.kind === 'tag' ? (['=', '!=', 'LIKE', 'ILIKE'] as Comparator[]) : spec.attributes[key.name].ops;
    if (!allowed.includes(op)) throw new FilterSyntaxError(`invalid comparator '${op}' for '${key.name}'; allowed: ${allowed.join(', ')}`);
    let value: Clause['value'];
    if (op === 'IN' || op === 'NOT IN') {
      if (next()?.t !== '(') throw new FilterSyntaxError(`${op} needs a parenthesised list`);
      const list: string[] = [];
      for (;;) {
        const v = next();
        if (!v || v.t !== 'string') throw new FilterSyntaxError(`${op} list must hold quoted strings`);
        list.push(v.v);
        const sep = next();
        if (sep?.t === ')') break;
        if (sep?.t !== ',') throw new FilterSyntaxError(`${op} list must be comma-separated and closed with ')'`);
      }
      value = list;
    } else {
      const v = next();
      if (key.kind === 'attribute' && spec.attributes[key.name].numeric) {
        if (!v || v.t !== 'number' || !/^-?\d+$/.test(v.v)) throw new FilterSyntaxError(`'${key.name}' must be compared with an integer`);
        value = Number(v.v);
      } else {
        if (!v || v.t !== 'string') throw new FilterSyntaxError(`the value for '${key.name}' must be a quoted string`);
        value = v.v;
      }
    }
    clauses.push({ key, op, value });
    const joiner = next();
    if (!joiner) return clauses;
    if (joiner.t !== 'ident' || !/^and$/i.test(joiner.v)) throw new FilterSyntaxError(`expected AND, found '${joiner.v}' (only AND is supported)`);
  }
}

function likeToRegExp(pattern: string, flags: string): RegExp {
  const body = pattern.replace(/[.+?^${}()|[\]\\*]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${body}$`, flags + 's');
}

/** `value` undefined: the attribute or tag is absent (then only `!=` matches, as MLflow's own store does for tags). */
export function compare(op: Comparator, value: string | number | undefined, expected: Clause['value']): boolean {
  if (value === undefined) return op === '!=' || op === 'NOT IN';
  switch (op) {
    case '=':
      return value === expected;
    case '!=':
      return value !== expected;
    case 'LIKE':
      return likeToRegExp(String(expected), '').test(String(value));
    case 'ILIKE':
      return likeToRegExp(String(expected), 'i').test(String(value));
    case 'IN':
      return (expected as string[]).includes(String(value));
    case 'NOT IN':
      return !(expected as string[]).includes(String(value));
    case '<':
      return Number(value) < Number(expected);
    case '<=':
      return Number(value) <= Number(expected);
    case '>':
      return Number(value) > Number(expected);
    case '>=':
      return Number(value) >= Number(expected);
  }
}

export function matches(clauses: Clause[], attribute: (name: string) => string | number | undefined, tags: Record<string, string>): boolean {
  return clauses.every((c) => compare(c.op, c.key.kind === 'tag' ? tags[c.key.name] : attribute(c.key.name), c.value));
}

export interface OrderBy {
  key: string;
  desc: boolean;
}

/** `order_by` entries: `<key> [ASC|DESC]`, key from `allowed` (`timestamp` is MLflow's alias of creation/last-updated). */
export function parseOrderBy(entries: string[], allowed: readonly string[]): OrderBy[] {
  return entries.map((raw) => {
    const m = /^\s*`?([A-Za-z_][A-Za-z0-9_.]*)`?\s*(ASC|DESC)?\s*$/i.exec(raw);
    if (!m || !allowed.includes(m[1])) throw new FilterSyntaxError(`invalid order_by '${raw.slice(0, 80)}'; allowed keys: ${allowed.join(', ')} with ASC or DESC`);
    return { key: m[1], desc: (m[2] ?? 'ASC').toUpperCase() === 'DESC' };
  });
}
