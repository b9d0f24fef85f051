"""The raw bytes of every read, apart from the readouts: the table the writers fill, the
record of the monthly archive files the bytes move to (``osos raw archive``) and their blocks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from osos.store.models.base import Base
from osos.store.types import UTCDateTime


class ReadoutRaw(Base):
    """A readout's bytes exactly as received, until its month is archived.

    ``month`` is the local month (``YYYY-MM``) of the readout's ``read_at``: the unit the archive
    moves, found by its index. ``sha256`` repeats ``readouts.raw_sha256`` so the bytes check
    themselves wherever they are (here, in the archive file's manifest).
    """

    __tablename__ = "readout_raw"

    readout_id: Mapped[int] = mapped_column(ForeignKey("readouts.id"), primary_key=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7), index=True)


class RawArchive(Base):
    """One month's archive file: where the bytes of its readouts went, and what it holds."""

    __tablename__ = "raw_archives"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    members: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class RawArchiveBlock(Base):
    """One xz stream of a month's file: the readouts from ``first_id`` (to the next block's
    first) are in the ``length`` bytes at ``offset``; -1 is the manifest's block. How
    ``raw_of`` reads one readout without decompressing the month."""

    __tablename__ = "raw_archive_blocks"

    month: Mapped[str] = mapped_column(ForeignKey("raw_archives.month"), primary_key=True)
    first_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(Integer)
