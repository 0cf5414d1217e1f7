-- `IS [NOT] JSON [VALUE|SCALAR|ARRAY|OBJECT]` (issue 42): NULL is not JSON; the first value
-- decides and what follows a string, object or array is not looked at (`[1]x`, `"a"x`), but a
-- number or literal must end at a space or the end (`1x`, `1,2`, `truex` are not JSON); repeated
-- keys are fine; `[1,]`, `{a:1}`, `01`, `NaN`, a byte-order mark and empty text are not JSON.
CREATE TABLE t (
  id INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE is_json_out (
  id INT,
  v BOOLEAN,
  v_value BOOLEAN,
  sc BOOLEAN,
  arr BOOLEAN,
  obj BOOLEAN,
  not_v BOOLEAN,
  not_obj BOOLEAN,
  in_case STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/is_json_out',
  'format' = 'json'
);

INSERT INTO is_json_out
SELECT id, s IS JSON, s IS JSON VALUE, s IS JSON SCALAR, s IS JSON ARRAY, s IS JSON OBJECT,
  s IS NOT JSON, s IS NOT JSON OBJECT, CASE WHEN s IS JSON OBJECT THEN 'object' ELSE 'other' END
FROM t;
