import { FilterSyntaxError, MODEL_FILTER, VERSION_FILTER, compare, matches, parseFilter, parseOrderBy } from './search-filter.js';

describe('MLflow search filter grammar', () => {
  test('the 3.17 client appends its prompt clause with a backquoted key; it keeps models without that tag', () => {
    const clauses = parseFilter("name LIKE 'churn%' AND tag.`mlflow.prompt.is_prompt` != 'true'", MODEL_FILTER);
    expect(clauses).toEqual([
      { key: { kind: 'attribute', name: 'name' }, op: 'LIKE', value: 'churn%' },
      { key: { kind: 'tag', name: 'mlflow.prompt.is_prompt' }, op: '!=', value: 'true' },
    ]);
    expect(matches(clauses, () => 'churn-eu', {})).toBe(true);
    expect(matches(clauses, () => 'churn-eu', { 'mlflow.prompt.is_prompt': 'true' })).toBe(false);
    expect(matches(clauses, () => 'fraud', {})).toBe(false);
  });

  test('tags.k and tag."k", double quotes, case-insensitive keywords, ILIKE', () => {
    expect(parseFilter(`tags.team = "risk" and TAG."a b" ilike 'X%'`, MODEL_FILTER)).toEqual([
      { key: { kind: 'tag', name: 'team' }, op: '=', value: 'risk' },
      { key: { kind: 'tag', name: 'a b' }, op: 'ILIKE', value: 'X%' },
    ]);
    expect(compare('ILIKE', 'xyz', 'X%')).toBe(true);
    expect(compare('LIKE', 'xyz', 'X%')).toBe(false);
    expect(compare('LIKE', 'a.c', 'a_c')).toBe(true);
    expect(compare('LIKE', 'abc', 'a.c')).toBe(false);
  });

  test('version filters: run_id IN, source_path, version_number comparisons', () => {
    const c = parseFilter("run_id IN ('r1', 'r2') AND version_number >= 2 AND source_path = 's3://b/x'", VERSION_FILTER);
    const attrs: Record<string, string | number> = { run_id: 'r2', version_number: 3, source_path: 's3://b/x' };
    expect(matches(c, (k) => attrs[k], {})).toBe(true);
    expect(matches(c, (k) => ({ ...attrs, version_number: 1 })[k], {})).toBe(false);
  });

  test.each([
    ["name = 'a' OR name = 'b'", 'only AND'],
    ['name LIKE', 'quoted string'],
    ["owner = 'x'", 'invalid attribute'],
    ["name > 'a'", 'invalid comparator'],
    ["name = 'a", 'cannot parse'],
    ["run_id IN 'a'", 'parenthesised'],
  ])('refuses %s', (filter, why) => {
    expect(() => parseFilter(filter, filter.startsWith('run_id') ? VERSION_FILTER : MODEL_FILTER)).toThrow(FilterSyntaxError);
    expect(() => parseFilter(filter, filter.startsWith('run_id') ? VERSION_FILTER : MODEL_FILTER)).toThrow(why);
  });

  test('order_by keys and directions', () => {
    expect(parseOrderBy(['name DESC', 'last_updated_timestamp'], ['name', 'last_updated_timestamp'])).toEqual([
      { key: 'name', desc: true },
      { key: 'last_updated_timestamp', desc: false },
    ]);
    expect(() => parseOrderBy(['name; drop'], ['name'])).toThrow(FilterSyntaxError);
  });
});
