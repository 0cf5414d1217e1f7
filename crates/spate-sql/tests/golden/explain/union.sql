-- UNION ALL of two filtered tables into a print table; the second source runs with its own
-- parallelism, so its edge into the union rebalances.
CREATE TABLE a (k STRING, v INT) WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE b (k STRING, v INT) WITH ('connector' = 'datagen', 'number-of-rows' = '10',
    'scan.parallelism' = '2');
CREATE TABLE out_t (k STRING, v INT) WITH ('connector' = 'print');
EXPLAIN INSERT INTO out_t
SELECT k, v FROM a WHERE v > 0
UNION ALL
SELECT UPPER(k), v * 2 FROM b;
