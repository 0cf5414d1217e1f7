-- Pins how Flink's CSV reader (Jackson's CsvParser) cuts a file into records: a record ends at
-- a line break (LF or CRLF) outside quotes; an escaped quote does not end a quoted field, and
-- `\n` after the escape character is a newline; comment lines are skipped, quotes in them
-- ignored; a quoted field may hold LF and CRLF; with the quote character disabled every line
-- is a record and `"` is text.
SET 'execution.checkpointing.interval' = '1s';

CREATE TABLE escape_in (
  id INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/escape.csv',
  'format' = 'csv',
  'csv.escape-character' = '\'
);

CREATE TABLE comments_in (
  id INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/comments.csv',
  'format' = 'csv',
  'csv.allow-comments' = 'true'
);

CREATE TABLE multiline_in (
  id INT,
  s STRING,
  n INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/multiline.csv',
  'format' = 'csv',
  'csv.field-delimiter' = ';',
  'csv.quote-character' = ''''
);

CREATE TABLE crlf_in (
  id INT,
  s STRING,
  t STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/crlf.csv',
  'format' = 'csv'
);

CREATE TABLE noquote_in (
  id INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/noquote.csv',
  'format' = 'csv',
  'csv.disable-quote-character' = 'true'
);

CREATE TABLE escape_out (
  id INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/escape_out',
  'format' = 'json'
);

CREATE TABLE comments_out (
  id INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/comments_out',
  'format' = 'json'
);

CREATE TABLE multiline_out (
  id INT,
  s STRING,
  n INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/multiline_out',
  'format' = 'json'
);

CREATE TABLE crlf_out (
  id INT,
  s STRING,
  t STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/crlf_out',
  'format' = 'json'
);

CREATE TABLE noquote_out (
  id INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/noquote_out',
  'format' = 'json'
);

INSERT INTO escape_out SELECT id, s FROM escape_in;

INSERT INTO comments_out SELECT id, s FROM comments_in;

INSERT INTO multiline_out SELECT id, s, n FROM multiline_in;

INSERT INTO crlf_out SELECT id, s, t FROM crlf_in;

INSERT INTO noquote_out SELECT id, s FROM noquote_in;
