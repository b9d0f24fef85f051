"""The head-end: reads the meters, every time, and loses nothing it read.

Public API (import from the modules named):

* ``osos.headend.scheduler.run_headend(runtime, *, stop, clock, concurrency, listen, tick_s,
  config, after_tick)`` — the loop (``osos headend`` and ``osos demo`` run it through
  ``osos.app.headend``, which passes the after-tick hooks ``hook(runtime, now)``);
  ``Scheduler`` — ``tick()``, ``drain()``, ``run_once()``, ``read_now(serial, …)``,
  ``on_dial_in(serial, link)``; ``HeadendConfig``; ``MeterReadReport``.
* ``osos.headend.commlog.comm_status(session, failing_only=False)`` and
  ``comm_log(session, meter_id=None, limit=100)`` — frozen views for the back office.
* ``osos.headend.plans`` — due slots, back-off, the profile gap (pure functions).
* ``osos.headend.jobs`` — read jobs in the database (plan, claim with SKIP LOCKED, finish).
* ``osos.headend.reading.MeterReader`` — one session over a transport, driving the codec's
  sans-io ``ClientSession``; ``osos.headend.storage.StoreSink`` — stores as data arrives.

Data goes into the store only through ``osos.store.ingest``.
"""
