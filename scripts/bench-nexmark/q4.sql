-- Nexmark q4 (the Nexmark project's query text, Apache License 2.0, nexmark-flink queries/q4.sql at
-- 6b3646c) into a blackhole, over the tables of ddl.sql: the average winning bid per category
-- — a regular join with a time condition, a GROUP BY over it and a GROUP BY over that updating
-- aggregate (issue 42).
CREATE TABLE nexmark_q4 (
  id BIGINT,
  final BIGINT
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO nexmark_q4
SELECT
    Q.category,
    AVG(Q.final)
FROM (
    SELECT MAX(B.price) AS final, A.category
    FROM auction A, bid B
    WHERE A.id = B.auction AND B.`dateTime` BETWEEN A.`dateTime` AND A.expires
    GROUP BY A.id, A.category
) Q
GROUP BY Q.category;
