"""Sharing: obligations to the market operator, access for market participants, priced data.

- ``deliveries.run_due(runtime_or_session, now)``: plan, send, alert, correct (the head-end
  calls it through ``deliveries.DeliveryHook`` after its ticks; ``osos deliver run`` once).
- ``board.delivery_board(session, now)`` and ``board.compliance_report(session, period, now)``:
  the ledger at a glance and the per-rule compliance report (``osos deliver board|status``).
- ``payload``: the three rules, their deadlines and the pre-settlement JSON / xlsx shapes.
- ``transport``: file drop or HTTPS POST, chosen by ``OSOS_DELIVERY_URL``.
- ``api.router``: ``/api/v1`` for suppliers, OSBs and the market operator (bearer tokens from
  ``tokens``; per-token ``ratelimit``); ``requests``: priced requests and the fee report.
- ``config.SharingConfig``: every deadline, limit and fee, with ``OSOS_SHARING_*`` overrides.
"""
