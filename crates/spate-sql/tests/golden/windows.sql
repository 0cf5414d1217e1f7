-- Window table-valued functions, window joins and interval joins as Flink's docs write them.

CREATE TABLE Bid (
  bidtime TIMESTAMP(3),
  price DECIMAL(10, 2),
  item STRING,
  supplier_id STRING,
  WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND
) WITH ('connector' = 'datagen', 'rows-per-second' = '100', 'number-of-rows' = '1000',
        'fields.item.length' = '3', 'fields.price.min' = '1', 'fields.price.max' = '100');

SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(
    TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end;

SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(
    HOP(DATA => TABLE Bid,
        TIMECOL => DESCRIPTOR(bidtime),
        SLIDE => INTERVAL '5' MINUTES,
        SIZE => INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end;

SELECT window_start, window_end, SUM(price) AS total_price
  FROM TABLE(
    CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end;

SELECT window_start, window_end, item, SUM(price) AS total_price
  FROM TABLE(
      SESSION(TABLE Bid PARTITION BY item, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
  GROUP BY item, window_start, window_end;

-- Offset, window_time and grouping by the window's columns.
SELECT window_start, window_end, window_time, supplier_id, COUNT(*) AS cnt, MAX(price)
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES, INTERVAL '1' MINUTES))
  GROUP BY window_start, window_end, window_time, supplier_id
  HAVING COUNT(*) > 1;

CREATE TABLE LeftTable (row_time TIMESTAMP(3), num INT, id STRING,
  WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen');
CREATE TABLE RightTable (row_time TIMESTAMP(3), num INT, id STRING,
  WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen');

-- Window join.
SELECT L.num AS L_Num, L.id AS L_Id, R.num AS R_Num, R.id AS R_Id,
       COALESCE(L.window_start, R.window_start) AS window_start,
       COALESCE(L.window_end, R.window_end) AS window_end
FROM (
  SELECT * FROM TABLE(TUMBLE(TABLE LeftTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES))
) L
FULL JOIN (
  SELECT * FROM TABLE(TUMBLE(TABLE RightTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES))
) R
ON L.num = R.num AND L.window_start = R.window_start AND L.window_end = R.window_end;

-- Interval join.
SELECT L.id, R.id, L.row_time
FROM LeftTable L, RightTable R
WHERE L.id = R.id
  AND R.row_time BETWEEN L.row_time - INTERVAL '4' HOUR AND L.row_time;

SELECT L.id, R.num
FROM LeftTable AS L
LEFT JOIN RightTable AS R
  ON L.id = R.id AND R.row_time >= L.row_time - INTERVAL '10' SECOND
     AND R.row_time < L.row_time + INTERVAL '10' SECOND;

-- A CTE over a window aggregation, UNION ALL and scalar functions.
WITH t AS (
  SELECT window_start, item, COUNT(*) AS c
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '1' HOUR))
  GROUP BY window_start, window_end, item
)
SELECT DATE_FORMAT(window_start, 'yyyy-MM-dd HH:mm'), UPPER(item), c FROM t WHERE c BETWEEN 2 AND 10
UNION ALL
SELECT CAST(CURRENT_TIMESTAMP AS STRING), 'total', CAST(NULL AS BIGINT);
