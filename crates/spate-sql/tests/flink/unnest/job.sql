-- UNNEST in FROM: arrays (NULL, empty and NULL elements), a map (entries as key and value), an
-- array of ROWs (the fields as columns; a NULL row gives no row), WITH ORDINALITY, LEFT JOIN
-- .. ON TRUE (a padded row for NULL and empty collections) and with a condition, the comma
-- form, an uncorrelated literal array, an expression argument, a second UNNEST over the first's
-- element, and window aggregates over the unnested rows (the rowtime survives the unnest).
-- Map entries are compared as a multiset only: Flink lists them in its HashMap's order.
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE events (
  id INT,
  ts TIMESTAMP(3),
  s STRING,
  arr ARRAY<INT>,
  m MAP<STRING, INT>,
  rs ARRAY<ROW<a INT, b STRING>>,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.json',
  'format' = 'json'
);

CREATE VIEW flat AS
SELECT id, ts, x FROM events CROSS JOIN UNNEST(events.arr) AS u(x);

CREATE TABLE elements (id INT, x INT, n INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/elements', 'format' = 'json');

CREATE TABLE comma_elements (id INT, x INT, arr_size INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/comma_elements', 'format' = 'json');

CREATE TABLE left_elements (id INT, x INT, n INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/left_elements', 'format' = 'json');

CREATE TABLE left_on_condition (id INT, x INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/left_on_condition', 'format' = 'json');

CREATE TABLE inner_on_condition (id INT, x INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/inner_on_condition', 'format' = 'json');

CREATE TABLE filtered (id INT, x INT, doubled INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/filtered', 'format' = 'json');

CREATE TABLE map_entries (id INT, k STRING, v INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/map_entries', 'format' = 'json');

CREATE TABLE left_map_entries (id INT, k STRING, v INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/left_map_entries', 'format' = 'json');

CREATE TABLE row_fields (id INT, a INT, b STRING) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/row_fields', 'format' = 'json');

CREATE TABLE left_row_fields (id INT, a INT, b STRING) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/left_row_fields', 'format' = 'json');

CREATE TABLE constants (id INT, tag STRING, n INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/constants', 'format' = 'json');

CREATE TABLE pieces (id INT, piece STRING) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/pieces', 'format' = 'json');

CREATE TABLE twice (id INT, x INT, y INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/twice', 'format' = 'json');

CREATE TABLE tumble_over_view (window_start TIMESTAMP(3), window_end TIMESTAMP(3), cnt BIGINT,
  cnt_x BIGINT, sum_x INT, max_x INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/tumble_over_view', 'format' = 'json');

CREATE TABLE tumble_by_element (window_start TIMESTAMP(3), window_end TIMESTAMP(3), x INT,
  cnt BIGINT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/tumble_by_element', 'format' = 'json');

CREATE TABLE group_window (ws TIMESTAMP(3), we TIMESTAMP(3), k STRING, total INT) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/group_window', 'format' = 'json');

INSERT INTO elements
SELECT id, x, n FROM events CROSS JOIN UNNEST(events.arr) WITH ORDINALITY AS u(x, n);

INSERT INTO comma_elements
SELECT id, x, CARDINALITY(arr) FROM events, UNNEST(arr) AS u(x);

INSERT INTO left_elements
SELECT id, x, n FROM events LEFT JOIN UNNEST(arr) WITH ORDINALITY AS u(x, n) ON TRUE;

INSERT INTO left_on_condition
SELECT id, x FROM events LEFT JOIN UNNEST(arr) AS u(x) ON x > 1;

INSERT INTO inner_on_condition
SELECT id, x FROM events JOIN UNNEST(arr) AS u(x) ON x > 1 OR x IS NULL;

INSERT INTO filtered
SELECT id, x, x * 2 FROM events CROSS JOIN UNNEST(arr) AS u(x) WHERE x > 1 OR x IS NULL;

INSERT INTO map_entries
SELECT id, k, v FROM events CROSS JOIN UNNEST(m) AS e(k, v);

INSERT INTO left_map_entries
SELECT id, k, v FROM events LEFT JOIN UNNEST(m) AS e(k, v) ON TRUE;

INSERT INTO row_fields
SELECT id, a, b FROM events CROSS JOIN UNNEST(rs) AS r(a, b);

INSERT INTO left_row_fields
SELECT id, r.a, r.b FROM events LEFT JOIN UNNEST(rs) AS r(a, b) ON TRUE;

INSERT INTO constants
SELECT id, tag, n FROM events CROSS JOIN UNNEST(ARRAY['p', 'q']) WITH ORDINALITY AS c(tag, n)
WHERE id <= 2;

INSERT INTO pieces
SELECT id, piece FROM events CROSS JOIN UNNEST(SPLIT(s, ',')) AS p(piece);

INSERT INTO twice
SELECT id, x, y FROM events CROSS JOIN UNNEST(arr) AS u(x) CROSS JOIN UNNEST(ARRAY[x, x * 10]) AS v(y)
WHERE id = 1;

INSERT INTO tumble_over_view
SELECT window_start, window_end, COUNT(*), COUNT(x), SUM(x), MAX(x)
FROM TABLE(TUMBLE(TABLE flat, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;

INSERT INTO tumble_by_element
SELECT window_start, window_end, x, COUNT(*)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND)) CROSS JOIN UNNEST(arr) AS u(x)
WHERE x IS NOT NULL
GROUP BY window_start, window_end, x;

INSERT INTO group_window
SELECT TUMBLE_START(ts, INTERVAL '10' SECOND), TUMBLE_END(ts, INTERVAL '10' SECOND), k, SUM(v)
FROM events CROSS JOIN UNNEST(m) AS e(k, v)
GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;
