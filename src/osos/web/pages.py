"""Rendering a page: the Jinja2 templates with the viewer's language and formats."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from osos.web import formatting
from osos.web.dbsession import runtime_of
from osos.web.deps import Viewer

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.autoescape = True


def render(
    request: Request,
    v: Viewer,
    name: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = v.language
    ctx: dict[str, Any] = {
        "_": v.t,
        "lang": lang,
        "viewer": v,
        "me": v.session.user if v.session else None,
        "csrf_token": v.csrf_token,
        "now": runtime_of(request).clock.now(),
        "num": lambda value, places=3: formatting.number(value, places, lang),
        "pct": lambda value: formatting.percent(value, lang),
        "dtm": lambda value, seconds=True: formatting.local_datetime(value, seconds, lang),
        "day": lambda value: formatting.local_date(value, lang),
        "month_end": lambda period: formatting.month_end_label(period, lang),
        "unit": formatting.unit_label,
        "month": lambda period: formatting.month_label(period, lang),
        "osos_contact": runtime_of(request).settings.mail.contact,
    }
    if context:
        ctx.update(context)
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
