#!/usr/bin/env python3
"""Drives `spate sql` (the interactive shell) through a real pseudo-terminal, as a user types.

Run by tests/sql_shell.rs: `sql_shell_pty.py SPATE_BINARY WORK_DIR`. Standard library only
(pty, os, select). Every wait polls the terminal's output for an expected text with a deadline;
on failure it prints what the terminal showed and exits 1.

What it checks: line editing (Ctrl-A moves to the start of the line), multi-line statements
with a continuation prompt, Ctrl-C dropping the input typed so far, the error caret, history
(Up recalls the last statement) and the history file, the result modes on a terminal (`table`
by default, as in Flink's client: the result table, updated in place; `changelog`: the latest
changes with their `op`), redrawn in place, whose job Ctrl-C cancels (its engine worker threads
are gone when the prompt is back), and Ctrl-D leaving with exit status 0.
"""

import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

spate, work = sys.argv[1], sys.argv[2]
DEADLINE = 60  # seconds for any one expected output (a loaded 2-core CI machine)

env = dict(os.environ, HOME=work, TERM="xterm", RUST_LOG="off")
env.pop("XDG_DATA_HOME", None)
pid, fd = pty.fork()
if pid == 0:
    os.chdir(work)
    os.execve(spate, [spate, "sql", "--data-dir", os.path.join(work, "data")], env)

# 40 rows, 250 columns: the live table's window is 40 - 8 rows and no line wraps.
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 250, 0, 0))
seen = b""  # everything the terminal showed
mark = 0  # `expect` looks at output after this offset


def fail(why):
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            why += f" (the shell's wait status: {status:#x})"
    except ChildProcessError:
        pass
    sys.stdout.write(f"FAILED: {why}\n--- terminal output ---\n")
    sys.stdout.write(seen.decode("utf-8", "replace"))
    sys.stdout.flush()
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    sys.exit(1)


def pump(timeout):
    global seen
    ready, _, _ = select.select([fd], [], [], timeout)
    if ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        seen += data
    return True


def expect(pattern, what=None):
    """Waits until `pattern` (a regex over bytes) appears after the mark; moves the mark past it."""
    global mark
    end = time.monotonic() + DEADLINE
    while True:
        m = re.compile(pattern).search(seen, mark)
        if m:
            mark = m.end()
            return m
        if time.monotonic() > end:
            fail(f"timed out waiting for {what or pattern!r}")
        if not pump(0.2):
            fail(f"the shell ended while waiting for {what or pattern!r}")


def send(text):
    os.write(fd, text.encode())


def worker_threads():
    names = []
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/comm") as f:
                names.append(f.read().strip())
        except FileNotFoundError:
            pass  # a thread that just ended
    return [n for n in names if n.startswith("spate-worker")]


PROMPT = rb"Flink SQL> "
expect(PROMPT, "the first prompt")

# Line editing: type the statement without its first letter, Ctrl-A to the start, add it.
send("ELECT 42 AS answer;")
send("\x01S\r")
expect(rb"\|\s+42 \|", "the row of the edited statement")
# The default result mode on a terminal is Flink's `table`: no `op` column.
expect(rb"1 row in the result table, from 1 change")
if re.search(rb"\|\s+op \|", seen):
    fail("the table result mode shows an op column")
expect(PROMPT)

# History: Up recalls the last statement, Enter runs it again.
send("\x1b[A")
send("\r")
expect(rb"\|\s+42 \|", "the row of the recalled statement")
expect(PROMPT)

# A statement over two lines: the continuation prompt, then the row.
send("SELECT 'multi'\r")
expect(rb"\x1b\[K> ", "the continuation prompt")
send("  AS word;\r")
expect(rb"\|\s+multi \|", "the row of the two-line statement")
expect(PROMPT)

# Ctrl-C drops what was typed (two lines of it); the next statement runs alone.
send("SELECT 'dropped'\r")
expect(rb"\x1b\[K> ")
send("  AS x")
send("\x03")
expect(PROMPT, "a fresh prompt after Ctrl-C")
send("SELECT 'kept' AS y;\r")
expect(rb"\|\s+kept \|")
expect(PROMPT)
if re.search(rb"\|\s+dropped \|", seen):
    fail("the input cancelled with Ctrl-C ran")

# An error keeps the caret display, and the shell goes on.
send("SELECT nope FROM (VALUES (1)) AS t(a);\r")
expect(rb"\[ERROR\].*unknown column 'nope'", "the error")
expect(rb"\n\s*\|\s+\^", "the caret under the column")
expect(PROMPT)

# A live SELECT over an unbounded table: the table is redrawn in place; Ctrl-C cancels the job.
send(
    "CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'rows-per-second' = '20', "
    "'fields.id.min' = '1', 'fields.id.max' = '9');\r"
)
expect(rb"Execute statement succeeded")
expect(PROMPT)
send("SET 'sql-client.execution.result-mode' = 'changelog';\r")
expect(rb"Execute statement succeeded")
expect(PROMPT)
send("SELECT id FROM g;\r")
expect(rb"\|\s+op \|\s+id \|", "the header")
expect(rb"\x1b\[\d+A\r\x1b\[J", "a redraw in place")
m = expect(rb"(\d+) rows received in \d+s, the last (\d+) shown", "the status line")
end = time.monotonic() + DEADLINE
while int(m.group(1)) < 40:  # more rows than the window holds
    m = expect(rb"(\d+) rows received in \d+s, the last (\d+) shown")
    if time.monotonic() > end:
        fail("the live table stopped growing")
if int(m.group(2)) != 32:
    fail(f"the window shows {m.group(2)} rows, not the terminal's 40 - 8")
if not worker_threads():
    fail("no engine worker threads while the query runs")
send("\x03")
expect(rb"Received a total of \d+ rows \(query cancelled\)", "the cancelled query's summary")
expect(PROMPT, "the prompt after cancelling")
if worker_threads():
    fail(f"engine threads still running after the cancel: {worker_threads()}")

# The table result mode over an updating query: one row per id, updated in place (at most
# the generator's 9 ids however many changes arrive); Ctrl-C cancels it.
send("SET 'sql-client.execution.result-mode' = 'table';\r")
expect(rb"Execute statement succeeded")
expect(PROMPT)
send("SELECT id, COUNT(*) AS n FROM g GROUP BY id;\r")
expect(rb"\|\s+id \|\s+n \|\r?\n", "the table's header, without op")
m = expect(rb"(\d+) rows in the result table from (\d+) changes", "the table's status line")
end = time.monotonic() + DEADLINE
while int(m.group(2)) < 30:
    m = expect(rb"(\d+) rows in the result table from (\d+) changes")
    if int(m.group(1)) > 9:
        fail(f"the result table holds {m.group(1)} rows for 9 ids")
    if time.monotonic() > end:
        fail("the result table stopped changing")
send("\x03")
expect(rb"\d+ rows? in the result table, from \d+ changes \(query cancelled\)", "the cancelled table's summary")
expect(PROMPT, "the prompt after cancelling the table")

# Ctrl-D leaves, with exit status 0.
send("\x04")
end = time.monotonic() + DEADLINE
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > end:
        fail("the shell did not leave on Ctrl-D")
    pump(0.2)
if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
    fail(f"exit status {status}")

history = os.path.join(work, ".local", "share", "spate", "sql_history")
with open(history) as f:
    entries = f.read()
for statement in ["SELECT 42 AS answer;", r"SELECT 'multi'\n  AS word;", "SELECT id FROM g;"]:
    if statement not in entries:
        fail(f"history file lacks {statement!r}:\n{entries}")
print("ok")
