-- UNION ALL of two tables through a temporary view, a WITH clause (CTE), a subquery in FROM,
-- and a 10 s tumbling window aggregate on top. Each input is in order within the 2 s watermark
-- delay, so no record is late however the two sources interleave.
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE clicks_a (
  ts TIMESTAMP(3),
  user_name STRING,
  url STRING,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/clicks_a.json',
  'format' = 'json'
);

CREATE TABLE clicks_b (
  ts TIMESTAMP(3),
  user_name STRING,
  url STRING,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/clicks_b.json',
  'format' = 'json'
);

CREATE TEMPORARY VIEW all_clicks AS
SELECT ts, user_name, url, 'a' AS src FROM clicks_a
UNION ALL
SELECT ts, user_name, url, 'b' AS src
FROM (SELECT ts, UPPER(user_name) AS user_name, url FROM clicks_b WHERE url <> '/internal') AS b;

CREATE TABLE union_rows (
  ts TIMESTAMP(3),
  user_name STRING,
  url STRING,
  src STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/union_rows',
  'format' = 'json'
);

CREATE TABLE union_windows (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  src STRING,
  cnt BIGINT,
  users BIGINT,
  max_url STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/union_windows',
  'format' = 'json'
);

INSERT INTO union_rows
SELECT * FROM all_clicks;

INSERT INTO union_windows
WITH with_url AS (
  SELECT * FROM all_clicks WHERE url IS NOT NULL
)
SELECT window_start, window_end, src, COUNT(*), COUNT(DISTINCT user_name), MAX(url)
FROM TABLE(TUMBLE(TABLE with_url, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, src;
