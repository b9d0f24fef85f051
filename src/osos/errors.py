"""Every exception osos raises on purpose, in one place.

Lower-level errors (SQLAlchemy, sockets, the codec) are translated at the layer boundary with
``raise … from exc``; callers catch these names, never bare ``Exception``.
"""

from __future__ import annotations


class OsosError(Exception):
    """Base of all osos errors."""


class ConfigError(OsosError):
    """A setting is missing or unsafe."""


class InvalidInput(OsosError):
    """A value given to osos (an option, a file field, a query parameter, a time) is not
    acceptable; the message names the value and what was expected."""


class Conflict(OsosError):
    """The action does not fit the current state (already decided, already revoked, …)."""


class DataRejected(OsosError):
    """Data offered to the store cannot be kept exactly (too many decimals, out of range)."""


class NotFound(OsosError):
    """The object does not exist, or the caller may not know that it does."""


class AccessDenied(OsosError):
    """The caller may not do this."""


class ImportFailed(OsosError):
    """An import file had invalid rows; nothing was imported.

    ``errors`` holds one line per problem: row number, column, what was wrong.
    """

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} invalid row(s); nothing imported")
        self.errors = errors


class ProtocolError(OsosError):
    """Bytes from a meter (or to it) that do not follow the protocol."""


class CommunicationError(OsosError):
    """The meter or its modem could not be reached, or stopped answering."""


class RawUnavailable(OsosError):
    """A readout's raw bytes are not where the store says they are (the month's archive file
    is missing or unreadable, or a member does not match its digest). Bytes are never dropped
    silently: this names the readout and the file."""
