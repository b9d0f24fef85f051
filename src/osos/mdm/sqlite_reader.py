"""A child process that reads SQLite query results into Arrow for the monthly run.

ADBC's SQLite driver is fast (the rows never become Python objects) but carries its own copy of
the SQLite library; two copies in one process break each other's file locks
(sqlite.org/howtocorrupt.html, 2.2.1). In a process of its own it is as safe as any other
reader of the database. Protocol on stdin/stdout: one JSON line ``{"db": path, "sql": text}``
in, an 8-byte big-endian length and an Arrow IPC stream out (length 0 and a message on error).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import IO, Any

import adbc_driver_sqlite.dbapi as adbc_sqlite
import pyarrow as pa

from osos.errors import OsosError


def _answer(out: IO[bytes], request: dict[str, Any]) -> None:
    try:
        with adbc_sqlite.connect(request["db"]) as connection, connection.cursor() as cursor:
            cursor.execute(request["sql"])
            table = cursor.fetch_arrow_table()
    except Exception as exc:  # reported to the parent, which raises it there
        message = f"{type(exc).__name__}: {exc}".encode()
        out.write((0).to_bytes(8, "big") + len(message).to_bytes(8, "big") + message)
        out.flush()
        return
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    data = sink.getvalue()
    out.write(len(data).to_bytes(8, "big"))
    out.write(memoryview(data))
    out.flush()


def main() -> None:
    out = sys.stdout.buffer
    for line in sys.stdin:
        _answer(out, json.loads(line))


class SqliteReader:
    """The parent's end: start the children on first use, ask them, stop them on :meth:`close`.

    ``children`` processes answer the parts of one read at the same time (one per core).
    """

    def __init__(self, children: int = 2) -> None:
        self.children = children
        self._children: list[subprocess.Popen[bytes]] = []

    def _start(self) -> list[subprocess.Popen[bytes]]:
        if not self._children:
            command = [sys.executable, "-m", "osos.mdm.sqlite_reader"]
            self._children = [
                subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                for _ in range(self.children)
            ]
        return self._children

    def read_parts(self, path: str, sqls: Sequence[str]) -> list[pa.Table]:
        """The results of these queries (at most one per child), read at the same time."""
        children = self._start()[: len(sqls)]
        for child, sql in zip(children, sqls, strict=True):
            assert child.stdin is not None
            child.stdin.write((json.dumps({"db": path, "sql": sql}) + "\n").encode())
            child.stdin.flush()
        return [_receive(child) for child in children]

    def read(self, path: str, sql: str) -> pa.Table:
        return self.read_parts(path, [sql])[0]

    def close(self) -> None:
        for child in self._children:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=30)
        self._children = []


def _receive(child: subprocess.Popen[bytes]) -> pa.Table:
    assert child.stdout is not None
    size = int.from_bytes(child.stdout.read(8), "big")
    if size == 0:
        length = int.from_bytes(child.stdout.read(8), "big")
        raise OsosError(f"bulk read failed: {child.stdout.read(length).decode()}")
    table: pa.Table = pa.ipc.open_stream(pa.py_buffer(child.stdout.read(size))).read_all()
    return table


if __name__ == "__main__":
    main()
