"""The composition root: settings read once, the runtime built, the parts wired together.

Commands (:mod:`osos.cli`), the demo and the web workers start here. This is the only package
that knows every layer: it hands the head-end its after-tick hooks (validation upkeep,
delivery planning), starts the delivery sender beside it, and builds the web application.
Nothing imports it but those entry points.
"""

from __future__ import annotations

from collections.abc import Mapping

from osos.runtime import Runtime
from osos.settings import Settings, load_settings
from osos.timeutil import SYSTEM_CLOCK, Clock


def open_runtime(
    *,
    upgrade: bool = False,
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Runtime:
    """The runtime of a process: settings from the environment (once), its clock and database;
    ``upgrade`` applies pending migrations first (demo, serve)."""
    runtime = Runtime(settings or load_settings(environ), clock=clock)
    if upgrade:
        runtime.upgrade()
    return runtime
