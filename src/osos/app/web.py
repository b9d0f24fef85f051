"""The web process: the panel, back office and API on the runtime of the environment."""

from __future__ import annotations

from fastapi import FastAPI

from osos.app import open_runtime
from osos.web.app import create_app


def app_from_environment() -> FastAPI:
    """The application on the settings of the environment (``osos serve --workers N``: each
    worker process builds its own from the same variables)."""
    return create_app(open_runtime())
