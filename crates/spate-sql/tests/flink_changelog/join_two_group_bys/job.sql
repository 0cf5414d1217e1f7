-- Inner join of two GROUP BY results on their group keys (JoinKeyContainsUniqueKey on both sides):
-- the first side's updates arrive before the second has any row and emit nothing; then each of the
-- second's +I joins (+I), and each of its -U/+U pairs is forwarded as -U/+U. (b's file opens with
-- 50000 skipped unparseable lines, so its rows reach the join after a's; see the README.)
CREATE TABLE a (
  k STRING,
  x INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/a.json',
  'format' = 'json'
);

CREATE TABLE b (
  k STRING,
  y INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/b.json',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

SELECT sa.k, sa.cnt, sa.sx, sb.cnt AS bcnt, sb.my
FROM (SELECT k, COUNT(*) AS cnt, SUM(x) AS sx FROM a GROUP BY k) sa
JOIN (SELECT k, COUNT(*) AS cnt, MAX(y) AS my FROM b GROUP BY k) sb
  ON sa.k = sb.k;
