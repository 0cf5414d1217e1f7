-- ARRAY_AGG(DISTINCT v) over a Debezium changelog: Flink counts each distinct value (NULL too);
-- ARRAY_AGG sees a value's accumulate only when its count goes 0 -> 1 and its retract when it
-- goes 1 -> 0. So deleting one of two 'x' rows leaves 'x' where it was; deleting the second
-- removes it; inserting it again appends it last. An update to the same value (id 2: y -> y)
-- takes 'y' to 0 and back to 1, moving it last. ARRAY_AGG(v) alongside shows the multiset.
CREATE TABLE items (
  id INT,
  k STRING,
  v STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/items.json',
  'format' = 'debezium-json'
);

SELECT k, COUNT(*) AS n, CAST(ARRAY_AGG(DISTINCT v) AS STRING) AS d, CAST(ARRAY_AGG(v) AS STRING) AS a
FROM items
GROUP BY k;
