"""Load on the panel and the API: N concurrent users, bounded; exits 1 on any failed request.

    python -m bench.load_panel --users 200 [--rounds 5] [--workers 1] [--postgres]

Builds the demo registry with two days of data in a fresh database (SQLite in a temporary
directory, or with ``--postgres`` a new database on OSOS_BENCH_PG_URL, default the local
server, dropped afterwards), starts the panel as ``osos serve`` does (its own process), logs in
one account of each kind and gives every user an API token. Every user then asks ``rounds``
times for each of the panel pages and API answers in TARGETS, all users at once.

A user behaves like a browser or a well-behaved client: an answer 503 or 429 with
``Retry-After`` is waited for and asked again (counted as *shed*). A request **fails** on any
other status than 200, on a 5xx without ``Retry-After``, on a transport error, or when it is
still refused after ``--retries`` tries. On PostgreSQL the run also fails when a connection of
the panel's database is left ``idle in transaction``. The last line is the verdict; the exit
status is 0 only when nothing failed. The server's capacity comes from the environment
(``OSOS_WEB_THREADS``, ``OSOS_DB_POOL_SIZE``, ``OSOS_WEB_QUEUE_MS``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.web.conftest import ABONE_SP, KURUMSAL_SP, World, build_world  # noqa: E402

from osos.runtime import Runtime  # noqa: E402
from osos.settings import DatabaseSettings, Settings  # noqa: E402
from osos.sharing.tokens import create_token  # noqa: E402
from osos.store import db  # noqa: E402
from osos.store.models import Organisation  # noqa: E402
from osos.timeutil import local_date  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PG_ADMIN = os.environ.get(
    "OSOS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SUPPLIER = "Boğaziçi Enerji Tedarik A.Ş."
KEEP_ALIVE_S = 75  # as osos serve: never close a kept-alive connection a client may reuse


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    who: str  # a demo login kind, or "api"


def targets(day: str) -> tuple[Target, ...]:
    """What each user asks for: the panel's pages of three kinds of users and the API."""
    span = f"start={day}T00:00&end={day}T06:00"
    return (
        Target("list", "/", "kurumsal"),
        Target("readout", f"/hn/{ABONE_SP}/readout", "abone"),
        Target("load", f"/hn/{KURUMSAL_SP}/yuk-profili?from={day}&to={day}", "kurumsal"),
        Target("backoffice", "/yonetim/hizmet-noktalari", "operator"),
        Target("api portfolio", "/api/v1/portfolio", "api"),
        Target("api profile", f"/api/v1/service-points/{ABONE_SP}/load-profile?{span}", "api"),
    )


@dataclass
class Result:
    requests: int = 0
    ok: int = 0
    shed: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    idle_in_transaction: int = 0

    @property
    def failed(self) -> int:
        return sum(self.failures.values()) + self.idle_in_transaction

    def lines(self) -> list[str]:
        ordered = sorted(self.latencies) or [0.0]
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        out = [
            f"requests {self.requests}, answered 200 {self.ok}, shed and retried {self.shed}, "
            f"failed {sum(self.failures.values())} in {self.wall_s:.1f} s "
            f"({self.requests / max(self.wall_s, 1e-9):.0f} req/s)",
            f"latency of a 200: p50 {statistics.median(ordered) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms",
        ]
        out += [f"  failure: {why} × {n}" for why, n in self.failures.most_common(10)]
        if self.idle_in_transaction:
            out.append(f"  {self.idle_in_transaction} connection(s) left idle in transaction")
        out.append("FAILED" if self.failed else "OK: no failed request")
        return out


async def _ask(
    client: httpx.AsyncClient, target: Target, headers: dict[str, str], result: Result, retries: int
) -> None:
    result.requests += 1
    for _ in range(retries):
        started = time.perf_counter()
        try:
            answer = await client.get(target.path, headers=headers)
        except httpx.HTTPError as exc:
            result.failures[f"{target.name}: {type(exc).__name__}"] += 1
            return
        if answer.status_code == 200:
            result.ok += 1
            result.latencies.append(time.perf_counter() - started)
            return
        wait = answer.headers.get("retry-after", "")
        if answer.status_code in (429, 503) and wait.isdigit():
            result.shed += 1
            await asyncio.sleep(int(wait))
            continue
        result.failures[f"{target.name}: HTTP {answer.status_code}"] += 1
        return
    result.failures[f"{target.name}: still refused after {retries} tries"] += 1


async def load(
    base: str,
    cookies: dict[str, str],
    tokens: list[str],
    day: str,
    *,
    users: int,
    rounds: int,
    retries: int = 30,
) -> Result:
    """``users`` clients at once, each asking ``rounds`` times for every target."""
    result = Result()
    limits = httpx.Limits(max_connections=users + 4, max_keepalive_connections=users + 4)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def user(n: int) -> None:
            for _ in range(rounds):
                for target in targets(day):
                    if target.who == "api":
                        headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
                    else:
                        headers = {"Cookie": f"osos_session={cookies[target.who]}"}
                    await _ask(client, target, headers, result, retries)

        started = time.perf_counter()
        await asyncio.gather(*(user(n) for n in range(users)))
        result.wall_s = time.perf_counter() - started
    return result


def log_in(base: str, world: World) -> dict[str, str]:
    """A session cookie of each demo kind the targets use."""
    cookies = {}
    with httpx.Client(base_url=base, timeout=120) as c:
        for kind in ("abone", "kurumsal", "operator"):
            demo = world.logins[kind]
            c.cookies.clear()
            page = c.get("/personel/giris" if kind == "operator" else "/giris")
            token = CSRF.search(page.text)
            assert token, page.text[:300]
            tip = "personel" if kind == "operator" else kind
            form = {"tip": tip, "login": demo.login, "password": demo.password}
            answer = c.post("/giris", data={**form, "csrf_token": token.group(1), "next": "/"})
            assert "osos_session" in c.cookies, answer.text[:300]
            cookies[kind] = c.cookies["osos_session"]
    return cookies


def api_tokens(runtime: Runtime, count: int) -> list[str]:
    """One token per user (the API's rate limit is per token)."""
    with db.transaction(runtime.sessions) as s:
        org = s.query(Organisation).filter(Organisation.name == SUPPLIER).one()
        return [
            create_token(s, org.name, at=runtime.clock.now(), created_by="load").token
            for _ in range(count)
        ]


def idle_in_transaction(url: str) -> int:
    """Connections of the database at ``url`` left inside a transaction (PostgreSQL)."""
    if url.startswith("sqlite"):
        return 0
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    engine = create_engine(PG_ADMIN)
    try:
        with engine.connect() as c:
            return int(
                c.execute(
                    text(
                        "select count(*) from pg_stat_activity where datname = :d"
                        " and state like 'idle in transaction%'"
                    ),
                    {"d": name},
                ).scalar_one()
            )
    finally:
        engine.dispose()


@contextmanager
def _database(postgres: bool, home: str) -> Iterator[str]:
    if not postgres:
        yield f"sqlite:///{home}/load.sqlite3"
        return
    from sqlalchemy import create_engine, text

    name = f"osos_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, home: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OSOS_DATABASE_URL": url, "OSOS_HOME": home, "OSOS_SECRET_KEY": "l" * 40}
    command = [
        sys.executable, "-m", "uvicorn", "osos.app.web:app_from_environment", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--backlog", "4096", "--timeout-keep-alive", str(KEEP_ALIVE_S),
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=ROOT)


def _wait_for(base: str) -> None:
    for _ in range(300):
        try:
            httpx.get(base + "/saglik", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"the server at {base} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="Concurrent users.")
    parser.add_argument("--rounds", type=int, default=3, help="Times each user asks each target.")
    parser.add_argument("--workers", type=int, default=1, help="Server worker processes.")
    parser.add_argument("--postgres", action="store_true", help="A fresh PostgreSQL database.")
    args = parser.parse_args()
    # stopped from outside (timeout, ^C): still stop the server and drop the database
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory() as home, _database(args.postgres, home) as url:
        db.upgrade(url)
        runtime = Runtime(
            Settings(home=Path(home), database=DatabaseSettings(url), secret_key="l" * 40)
        )
        world = build_world(runtime, days=2)
        tokens = api_tokens(runtime, args.users)
        day = local_date(world.end - dt.timedelta(days=1)).isoformat()
        runtime.close()
        port = _free_port()
        server = _serve(url, home, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for(base)
            cookies = log_in(base, world)
            print(
                f"{args.users} users × {args.rounds} rounds × {len(targets(day))} targets, "
                f"database {url.split(':')[0]}, {args.workers} worker(s), "
                f"threads {os.environ.get('OSOS_WEB_THREADS', 'default')}"
            )
            result = asyncio.run(
                load(base, cookies, tokens, day, users=args.users, rounds=args.rounds)
            )
            result.idle_in_transaction = idle_in_transaction(url)  # the server still up
        finally:
            server.terminate()
            server.wait(timeout=60)
    print("\n".join(result.lines()))
    raise SystemExit(1 if result.failed else 0)


if __name__ == "__main__":
    main()
