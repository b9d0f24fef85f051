"""The request-scoped database session, for the panel and the market participants' API alike.

Kept apart from ``osos.web.deps`` (templates, accounts, CSRF) so that the API's router can use
it without importing the panel.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from osos.runtime import Runtime


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error.

    Scoped to the handler, so the commit happens before the response leaves (a redirect after
    login must find its session row; the audit rows of an API read are in when it answers).
    """
    session = runtime_of(request).sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DB = Annotated[Session, Depends(db_session, scope="function")]
