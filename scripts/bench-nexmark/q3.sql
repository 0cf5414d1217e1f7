-- Nexmark q3 (the Nexmark project's query text, Apache License 2.0, nexmark-flink queries/q3.sql at
-- 6b3646c) into a blackhole, over the tables of ddl.sql: local item suggestion: sellers in OR,
-- ID or CA of auctions in category 10 — a regular inner join of two insert-only inputs (issue 42).
CREATE TABLE nexmark_q3 (
  name  VARCHAR,
  city  VARCHAR,
  state  VARCHAR,
  id  BIGINT
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO nexmark_q3
SELECT
    P.name, P.city, P.state, A.id
FROM
    auction AS A INNER JOIN person AS P on A.seller = P.id
WHERE
    A.category = 10 and (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
