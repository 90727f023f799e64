import type { Migration } from '../migration.js';

/**
 * Issue 13 (performance): `ml_append_batch` (migration 4) read each named stream's current
 * revision with `max(revision) … GROUP BY stream`, which walks every revision of the stream and,
 * under the generic plan PL/pgSQL caches after five calls, scans the whole events table: a
 * 1-writer append slowed down linearly with the ledger's size. The function is replaced with one
 * that reads the head of each stream by one backward index step. Behaviour is otherwise identical
 * (same checks, same outcomes, same hash input).
 *
 * SQLite has no such function (its store reads `max(revision)` per stream, which SQLite answers
 * from the index end): the version is recorded there with a statement that changes nothing, so both
 * stores stay at the same schema version.
 *
 * Never edit this file once released: its checksum is recorded in every database.
 */
export const m0005: Migration = {
  version: 5,
  name: 'append-batch-stream-heads',
  sqlite: 'SELECT 1;',
  postgres: `
CREATE OR REPLACE FUNCTION ml_append_batch(
  a_stream text[], a_stream_json text[], a_expected bigint[], a_first int[], a_count int[],
  e_id text[], e_id_json text[], e_type text[], e_type_json text[], e_schema int[], e_data text[], e_meta text[],
  p_recorded_at text, p_recorded_at_json text, p_lock bigint, p_channel text, p_genesis text)
RETURNS TABLE (r_status text, r_revision bigint, r_position bigint, r_detail text)
LANGUAGE plpgsql AS $fn$
DECLARE
  head bigint;
  prev text;
  cur bigint;
  k int;
  h text;
  ids uuid[];
  n_found int;
  same boolean;
  last_rev bigint;
  last_pos bigint;
  -- Current revision of each stream the batch names, kept up to date as appends are accepted.
  s_name text[];
  s_rev bigint[];
  s_at int;
  -- Ids already stored (or written earlier in this call): an append reusing one takes the slow path.
  known uuid[];
  -- Rows accepted and not yet inserted: one INSERT writes them all.
  w_pos bigint[] := '{}';
  w_k int[] := '{}';
  w_stream text[] := '{}';
  w_rev bigint[] := '{}';
  w_prev text[] := '{}';
  w_hash text[] := '{}';
  appended boolean := false;
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock);
  -- A VOLATILE function's statements each take a fresh snapshot: these reads see every append
  -- committed before the lock was granted.
  SELECT e.position, e.hash INTO head, prev FROM events e ORDER BY e.position DESC LIMIT 1;
  IF head IS NULL THEN head := 0; prev := p_genesis; END IF;
  -- One backward step of the (stream, revision) index per distinct stream: O(log n) whatever the
  -- stream's length (max() … GROUP BY read every revision of the stream, or the whole table under
  -- the generic plan PL/pgSQL switches to after five calls).
  SELECT coalesce(array_agg(d.stream), '{}'), coalesce(array_agg(x.rev), '{}') INTO s_name, s_rev
    FROM (SELECT DISTINCT s.stream FROM unnest(a_stream) AS s(stream)) d
    CROSS JOIN LATERAL (SELECT e.revision AS rev FROM events e WHERE e.stream = d.stream ORDER BY e.revision DESC LIMIT 1) x;
  SELECT coalesce(array_agg(e.id), '{}') INTO known FROM events e WHERE e.id = ANY (e_id::uuid[]);
  FOR i IN 1 .. coalesce(array_length(a_stream, 1), 0) LOOP
    ids := e_id[a_first[i] : a_first[i] + a_count[i] - 1]::uuid[];
    IF ids && known THEN
      -- A retry of a stored append returns its outcome; any other reuse of an id is refused.
      -- Rows accepted so far are written first, so the check sees them.
      IF array_length(w_pos, 1) > 0 THEN
        INSERT INTO events (position, id, stream, revision, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
          SELECT w.pos, e_id[w.k]::uuid, w.stream, w.rev, e_type[w.k], e_schema[w.k], e_data[w.k]::jsonb, e_meta[w.k]::jsonb, p_recorded_at, w.prev, w.hash
            FROM unnest(w_pos, w_k, w_stream, w_rev, w_prev, w_hash) AS w(pos, k, stream, rev, prev, hash);
        w_pos := '{}'; w_k := '{}'; w_stream := '{}'; w_rev := '{}'; w_prev := '{}'; w_hash := '{}';
      END IF;
      SELECT count(*), bool_and(x.id = ids[x.rn] AND x.stream = a_stream[i]
                                AND x.revision = coalesce(a_expected[i] + 1, x.first_rev) + x.rn - 1),
             max(x.revision), max(x.position)
        INTO n_found, same, last_rev, last_pos
        FROM (SELECT e.id, e.stream, e.revision, e.position,
                     row_number() OVER (ORDER BY e.position) AS rn,
                     first_value(e.revision) OVER (ORDER BY e.position) AS first_rev
                FROM events e WHERE e.id = ANY (ids)) x;
      IF same AND n_found = a_count[i] THEN
        r_status := 'replay'; r_revision := last_rev; r_position := last_pos; r_detail := NULL;
      ELSE
        r_status := 'duplicate'; r_revision := NULL; r_position := NULL;
        SELECT e.id::text INTO r_detail FROM events e WHERE e.id = ANY (ids) ORDER BY e.position LIMIT 1;
      END IF;
      RETURN NEXT;
      CONTINUE;
    END IF;
    s_at := array_position(s_name, a_stream[i]);
    cur := CASE WHEN s_at IS NULL THEN -1 ELSE s_rev[s_at] END;
    IF a_expected[i] IS NOT NULL AND a_expected[i] <> cur THEN
      r_status := 'conflict'; r_revision := cur; r_position := NULL; r_detail := NULL;
      RETURN NEXT;
      CONTINUE;
    END IF;
    FOR j IN 0 .. a_count[i] - 1 LOOP
      k := a_first[i] + j;
      head := head + 1;
      cur := cur + 1;
      h := encode(sha256(convert_to(
        '{"data":' || e_data[k] || ',"id":' || e_id_json[k] || ',"metadata":' || e_meta[k] ||
        ',"position":' || head || ',"prevHash":"' || prev || '","recordedAt":' || p_recorded_at_json ||
        ',"revision":' || cur || ',"schemaVersion":' || e_schema[k] || ',"stream":' || a_stream_json[i] ||
        ',"type":' || e_type_json[k] || '}', 'UTF8')), 'hex');
      w_pos := w_pos || head; w_k := w_k || k; w_stream := w_stream || a_stream[i]; w_rev := w_rev || cur;
      w_prev := w_prev || prev; w_hash := w_hash || h;
      prev := h;
    END LOOP;
    IF s_at IS NULL THEN s_name := s_name || a_stream[i]; s_rev := s_rev || cur; ELSE s_rev[s_at] := cur; END IF;
    known := known || ids;
    appended := true;
    r_status := 'ok'; r_revision := cur; r_position := head; r_detail := NULL;
    RETURN NEXT;
  END LOOP;
  IF array_length(w_pos, 1) > 0 THEN
    INSERT INTO events (position, id, stream, revision, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
      SELECT w.pos, e_id[w.k]::uuid, w.stream, w.rev, e_type[w.k], e_schema[w.k], e_data[w.k]::jsonb, e_meta[w.k]::jsonb, p_recorded_at, w.prev, w.hash
        FROM unnest(w_pos, w_k, w_stream, w_rev, w_prev, w_hash) AS w(pos, k, stream, rev, prev, hash);
  END IF;
  -- Delivered at commit only, so other processes' followers wake when the batch is visible.
  IF appended THEN PERFORM pg_notify(p_channel, ''); END IF;
END
$fn$;`,
};
