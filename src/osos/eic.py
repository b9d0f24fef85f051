"""ENTSO-E Energy Identification Codes (EIC), the 16-character ETSO codes EPİAŞ assigns.

The last character is a check character over the first fifteen (ENTSO-E EIC reference manual).
"""

from __future__ import annotations

import string

from osos.errors import InvalidInput

_ALPHABET = string.digits + string.ascii_uppercase + "-"  # value = position (0..36)


def check_character(first15: str) -> str:
    """The check character for the first 15 characters of an EIC."""
    if len(first15) != 15 or any(c not in _ALPHABET for c in first15):
        raise InvalidInput(f"an EIC starts with 15 of 0-9, A-Z, '-': {first15!r}")
    total = sum(_ALPHABET.index(c) * (16 - i) for i, c in enumerate(first15))
    return _ALPHABET[36 - ((total - 1) % 37)]


def validate(code: str) -> str | None:
    """None when ``code`` is a valid EIC, else what is wrong with it."""
    if len(code) != 16:
        return f"an EIC has 16 characters, {code!r} has {len(code)}"
    if any(c not in _ALPHABET for c in code):
        return f"an EIC holds only 0-9, A-Z and '-': {code!r}"
    expected = check_character(code[:15])
    if code[15] != expected:
        return f"check character of {code!r} is {code[15]!r}, expected {expected!r}"
    return None
