"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2-cffi defaults: Argon2id, RFC 9106 low-memory profile

MIN_LENGTH = 10
_COMMON = frozenset(
    {"password", "parola", "sifre", "şifre", "123456", "qwerty", "osos", "tredas", "admin"}
)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; a malformed hash counts as a mismatch."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verify(password: str) -> None:
    """Spend the time of a real check when there is no account, so timing reveals nothing."""
    verify_password(_dummy_hash(_HASHER), password)


_DUMMIES: dict[int, str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = id(hasher)
    if key not in _DUMMIES:
        _DUMMIES[key] = hasher.hash("osos-dummy-password-0")
    return _DUMMIES[key]


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def policy_problems(password: str, login: str = "") -> list[str]:
    """Message keys of every rule the password breaks (empty when it is acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append("pw_too_short")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append("pw_letters_digits")
    lowered = password.casefold()
    name = login.casefold().split("@")[0]
    if len(name) >= 4 and name in lowered:
        problems.append("pw_contains_login")
    if any(word in lowered for word in _COMMON if len(word) >= 5) or lowered in _COMMON:
        problems.append("pw_common")
    return problems
