"""A small, bounded version of ``python -m bench.load_panel``: concurrent users on a real
server with few handlers, so that requests are queued and shed; every request must end in a
200 (after waiting out 503/429 ``Retry-After``), never a 500 or a reset, and no connection may
stay idle in a transaction (issue 12, item 2), on both databases. No time is asserted."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading

import uvicorn
from bench.load_panel import KEEP_ALIVE_S, api_tokens, idle_in_transaction, load, log_in

from osos.runtime import Runtime
from osos.timeutil import local_date
from osos.web.app import create_app
from tests.web.conftest import World, build_world


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_concurrent_users_get_answers_not_errors(runtime: Runtime) -> None:
    world: World = build_world(runtime, days=1)
    settings = runtime.settings
    web = dataclasses.replace(settings.web, threads=3, queue_wait_s=0.05)
    served = Runtime(dataclasses.replace(settings, web=web), clock=runtime.clock)
    app = create_app(served)
    assert served.pool_size == 5  # sized from the handlers
    port = _port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_S
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
        base = f"http://127.0.0.1:{port}"
        cookies = log_in(base, world)
        tokens = api_tokens(runtime, 8)
        day = local_date(world.end).isoformat()
        result = asyncio.run(load(base, cookies, tokens, day, users=24, rounds=1))
        left_open = idle_in_transaction(settings.database.url)
    finally:
        server.should_exit = True
        thread.join()
        served.close()
    assert result.failed == 0, result.lines()
    assert result.requests == result.ok == 24 * 6
    assert left_open == 0
