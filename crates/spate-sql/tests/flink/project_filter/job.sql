-- Projection and filtering: three-valued logic with NULLs, both CASE forms, casts, integer and
-- DECIMAL arithmetic, IN, BETWEEN, LIKE, IS NULL, COALESCE, IF.
SET 'execution.checkpointing.interval' = '1s';

CREATE TABLE people (
  id INT,
  name STRING,
  age INT,
  score DOUBLE,
  price DECIMAL(10, 2),
  qty INT,
  city STRING,
  active BOOLEAN,
  note STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/people.json',
  'format' = 'json'
);

CREATE TABLE projected (
  id INT,
  age_div3 INT,
  age_mod3 INT,
  neg_div INT,
  age_plus_qty INT,
  score_calc DOUBLE,
  total DECIMAL(21, 2),
  price_div DECIMAL(21, 13),
  price_plus_score DOUBLE,
  price_x_half DECIMAL(13, 3),
  age_group STRING,
  city_code INT,
  age_str STRING,
  score_int INT,
  price_double DOUBLE,
  age_dec DECIMAL(5, 1),
  note_int INT,
  note_bigint BIGINT,
  note_double DOUBLE,
  note_bool BOOLEAN,
  in_list BOOLEAN,
  not_in_list BOOLEAN,
  between_18_30 BOOLEAN,
  not_between BOOLEAN,
  like_a BOOLEAN,
  like_underscore BOOLEAN,
  like_escape BOOLEAN,
  not_like_e BOOLEAN,
  note_is_null BOOLEAN,
  city_not_null BOOLEAN,
  first_present STRING,
  active_word STRING,
  not_active BOOLEAN,
  and_nulls BOOLEAN,
  or_nulls BOOLEAN,
  active_is_true BOOLEAN,
  active_is_not_false BOOLEAN,
  nullif_qty INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/projected',
  'format' = 'json'
);

CREATE TABLE filtered (
  id INT,
  name STRING,
  city STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/filtered',
  'format' = 'json'
);

CREATE TABLE not_filtered (
  id INT,
  age INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/not_filtered',
  'format' = 'json'
);

INSERT INTO projected
SELECT
  id,
  age / 3,
  MOD(age, 3),
  -7 / 2,
  age + qty,
  score * 2 + 1,
  price * qty,
  price / 3,
  price + score,
  price * 0.5,
  CASE WHEN age < 18 THEN 'minor' WHEN age >= 65 THEN 'senior' ELSE 'adult' END,
  CASE city WHEN 'Paris' THEN 1 WHEN 'Berlin' THEN 2 END,
  CAST(age AS STRING),
  CAST(score AS INT),
  CAST(price AS DOUBLE),
  CAST(age AS DECIMAL(5, 1)),
  TRY_CAST(note AS INT),
  TRY_CAST(note AS BIGINT),
  TRY_CAST(note AS DOUBLE),
  TRY_CAST(note AS BOOLEAN),
  age IN (17, 30, 40),
  city NOT IN ('Paris', 'Rome'),
  age BETWEEN 18 AND 30,
  age NOT BETWEEN 18 AND 30,
  name LIKE 'A%',
  name LIKE '_o%',
  name LIKE '%!_%' ESCAPE '!',
  name NOT LIKE '%e',
  note IS NULL,
  city IS NOT NULL,
  COALESCE(note, city, 'none'),
  IF(active, 'yes', 'no'),
  NOT active,
  active AND age > 20,
  active OR age > 20,
  active IS TRUE,
  active IS NOT FALSE,
  NULLIF(qty, 0)
FROM people;

INSERT INTO filtered
SELECT id, name, city
FROM people
WHERE (age > 20 AND city <> 'Paris') OR (NOT active AND score IS NOT NULL);

INSERT INTO not_filtered
SELECT id, age
FROM people
WHERE NOT (age > 30 OR city = 'Berlin') AND id <> 5;
