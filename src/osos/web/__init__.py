"""The web layer of osos: customer panel, back office, account applications.

``create_app(runtime)`` builds the FastAPI application; ``ensure_demo_users(session)`` adds one
demo account of each kind. Both are imported lazily so that ``osos --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from osos.web.app import create_app
    from osos.web.demo import DemoLogin, ensure_demo_users

__all__ = ["DemoLogin", "create_app", "ensure_demo_users"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from osos.web.app import create_app

        return create_app
    if name in ("ensure_demo_users", "DemoLogin"):
        from osos.web import demo

        return getattr(demo, name)
    raise AttributeError(name)
