"""Losses, tampering and theft: pure detectors over what the store holds, and their worklist.

The detectors (:mod:`.events`, :mod:`.phases`, :mod:`.energy`, :mod:`.drops`) take frozen
inputs (:mod:`.inputs`) and return :class:`~.findings.Finding` values; :mod:`.loading` reads
the inputs in bulk, :mod:`.store` keeps the findings (one row per point, kind and start) and
:mod:`.service` runs a month. Thresholds are :class:`osos.settings.LossLimits`
(``docs/losses.md``).
"""

from .findings import Finding, Kind, Status

__all__ = ["Finding", "Kind", "Status"]
