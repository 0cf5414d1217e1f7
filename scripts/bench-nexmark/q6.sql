-- Nexmark q6 (the Nexmark project's query text, Apache License 2.0, nexmark-flink queries/q6.sql at
-- 6b3646c) into a blackhole, over the tables of ddl.sql: the average selling price per seller
-- over its last 10 closed auctions — an OVER aggregate over a Top-N's updating output, which
-- Flink refuses ("StreamPhysicalOverAggregate doesn't support consuming update and delete changes")
-- and Spate refuses with Flink's reason (issue 42).
CREATE TABLE nexmark_q6 (
  seller VARCHAR,
  avg_price  BIGINT
) WITH (
  'connector' = 'blackhole'
);

-- TODO: this query is not supported yet in Flink SQL, because the OVER WINDOW operator doesn't
--  support to consume retractions.
INSERT INTO nexmark_q6
SELECT
    Q.seller,
    AVG(Q.price) OVER
        (PARTITION BY Q.seller ORDER BY Q.`dateTime` ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC) AS rownum
    FROM (SELECT A.id, A.seller, B.price, B.`dateTime`
        FROM auction AS A,
            bid AS B
        WHERE A.id = B.auction
            and B.`dateTime` between A.`dateTime` and A.expires)
    WHERE rownum <= 1
) AS Q;
