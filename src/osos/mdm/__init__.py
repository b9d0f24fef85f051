"""Meter data management: validation, estimation, edits and the billing determinants.

Pure computations (frozen dataclasses in, frozen dataclasses out; no SQL): ``model``,
``indexes``, ``segments``, ``tariff``, ``reactive``, ``demand``, ``estimate``, ``billing``,
``validate``. Loading and storing: ``loading``, ``service`` (the interface the panel and the
sharing layer call: ``monthly_report``, ``interval_consumption``, ``month_end_indexes``,
``monthly_history``, ``monthly_all``), ``determinants`` (stored months, dirty marking),
``vee`` (findings, stored estimates, operator edits), ``imports`` and ``export``. Running on
its own: ``upkeep`` (the head-end's after-tick hook that validates new reads and recomputes
their months); ``limits`` reads the validation limits from ``OSOS_VALIDATION_*``.
"""
