-- An updating query written by each changelog format into filesystem sinks: +I and +U as
-- insert events, -U and -D as delete events, every type as the json format writes it; and a
-- GROUP BY over a GROUP BY whose group goes (a delete event). Flink 2.3 wrote expected/.
CREATE TABLE events (user_id INT, item STRING, amount DECIMAL(10,2), price DOUBLE, flag BOOLEAN, ts TIMESTAMP(3), dt DATE) WITH ('connector'='filesystem','path'='${DATA}/events.csv','format'='csv');

CREATE TABLE a_debezium_json (user_id INT, c BIGINT, s DECIMAL(10,2), m STRING, p DOUBLE, b BOOLEAN, ts TIMESTAMP(3), dt DATE, n STRING) WITH ('connector'='filesystem','path'='${OUT}/out-debezium-json','format'='debezium-json');

CREATE TABLE d_debezium_json (c BIGINT, n BIGINT) WITH ('connector'='filesystem','path'='${OUT}/out-del-debezium-json','format'='debezium-json');

INSERT INTO a_debezium_json SELECT user_id, COUNT(*) AS c, SUM(amount) AS s, MAX(item) AS m, MAX(price) AS p, LAST_VALUE(flag) AS b, MAX(ts) AS ts, MAX(dt) AS dt, CAST(NULL AS STRING) AS n FROM events GROUP BY user_id;

INSERT INTO d_debezium_json SELECT c, COUNT(*) AS n FROM (SELECT user_id, COUNT(*) AS c FROM events WHERE user_id = 1 GROUP BY user_id) GROUP BY c;

CREATE TABLE a_canal_json (user_id INT, c BIGINT, s DECIMAL(10,2), m STRING, p DOUBLE, b BOOLEAN, ts TIMESTAMP(3), dt DATE, n STRING) WITH ('connector'='filesystem','path'='${OUT}/out-canal-json','format'='canal-json');

CREATE TABLE d_canal_json (c BIGINT, n BIGINT) WITH ('connector'='filesystem','path'='${OUT}/out-del-canal-json','format'='canal-json');

INSERT INTO a_canal_json SELECT user_id, COUNT(*) AS c, SUM(amount) AS s, MAX(item) AS m, MAX(price) AS p, LAST_VALUE(flag) AS b, MAX(ts) AS ts, MAX(dt) AS dt, CAST(NULL AS STRING) AS n FROM events GROUP BY user_id;

INSERT INTO d_canal_json SELECT c, COUNT(*) AS n FROM (SELECT user_id, COUNT(*) AS c FROM events WHERE user_id = 1 GROUP BY user_id) GROUP BY c;

CREATE TABLE a_maxwell_json (user_id INT, c BIGINT, s DECIMAL(10,2), m STRING, p DOUBLE, b BOOLEAN, ts TIMESTAMP(3), dt DATE, n STRING) WITH ('connector'='filesystem','path'='${OUT}/out-maxwell-json','format'='maxwell-json');

CREATE TABLE d_maxwell_json (c BIGINT, n BIGINT) WITH ('connector'='filesystem','path'='${OUT}/out-del-maxwell-json','format'='maxwell-json');

INSERT INTO a_maxwell_json SELECT user_id, COUNT(*) AS c, SUM(amount) AS s, MAX(item) AS m, MAX(price) AS p, LAST_VALUE(flag) AS b, MAX(ts) AS ts, MAX(dt) AS dt, CAST(NULL AS STRING) AS n FROM events GROUP BY user_id;

INSERT INTO d_maxwell_json SELECT c, COUNT(*) AS n FROM (SELECT user_id, COUNT(*) AS c FROM events WHERE user_id = 1 GROUP BY user_id) GROUP BY c;

