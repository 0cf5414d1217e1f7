-- ARRAY_AGG over a Debezium changelog. A retraction (-U, -D) removes the FIRST element equal to
-- the retracted value (java.util.LinkedList.remove(Object)); an insertion (+I, +U) appends, so an
-- update's new value goes last, even an update to the same value (id 1: x -> x moves x to the
-- end). Deleting id 3 (the second 'x') removes the first 'x' in the list. NULL is removed like a
-- value. An update moving a row to another group (id 5: a -> b) retracts from one, appends to the
-- other. When IGNORE NULLS leaves nothing, that array is NULL while the group lives; when the
-- group's last row goes, the group is deleted (-D), whatever the arrays.
CREATE TABLE items (
  id INT,
  k STRING,
  v STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/items.json',
  'format' = 'debezium-json'
);

SELECT k, COUNT(*) AS n, CAST(ARRAY_AGG(v) AS STRING) AS a,
       CAST(ARRAY_AGG(v IGNORE NULLS) AS STRING) AS i
FROM items
GROUP BY k;
