"""The translation catalogue: Turkish by default, English selectable; missing keys show the key."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("tr", "en")
DEFAULT_LANGUAGE = "tr"
_DIR = Path(__file__).parent / "i18n"


@cache
def catalogue(language: str) -> dict[str, str]:
    path = _DIR / f"{language}.json"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def translate(language: str, key: str, **values: object) -> str:
    """The message for ``key`` in ``language`` (Turkish when missing), formatted with values."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text


class Words:
    """The catalogue in one language, for code that builds text without a request."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def t(self, key: str, **values: object) -> str:
        return translate(self.language, key, **values)
