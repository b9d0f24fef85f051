"""The read model: what the panel, the API, the paid files and the deliveries show of a service
point, read once and the same way for all of them.

Every read takes a :class:`~osos.readmodel.access.Sight` — a service point and the windows of
time a caller may see it (:func:`~osos.readmodel.access.see` for a user or a token,
:func:`~osos.readmodel.access.grant` for an approved paid request) — and is bounded by the
installations: a meter's data belong to a service point only while it is installed there.

- :mod:`~osos.readmodel.access` — who sees which point and when (supply dates, organisation,
  the market operator's OSOS-only rule); sights, portfolios;
- :mod:`~osos.readmodel.readouts` — ``readouts``, ``readout``, ``readout_dates``;
- :mod:`~osos.readmodel.intervals` — ``intervals`` (and ``service_point_intervals``, the
  deliveries' interval source), phases, freshness;
- :mod:`~osos.readmodel.months` — ``month_result(s)`` and ``month_ends`` (the MDM computes);
- :mod:`~osos.readmodel.points` — the service point header every screen shows.

Functions return frozen values; the SQL of these reads lives here only.
"""
