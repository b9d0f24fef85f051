"""The head-end process as deployed: the scheduler with what must follow the reads.

After every tick the head-end runs its hooks: the validation and determinant upkeep, the
decision of what is due to the market operator, the loss and tamper detectors, and (when set)
the alerts. Beside the scheduler runs the delivery sender, its own task, so a slow receiver never
holds a tick or a row lock. All of it is wired here, at the root, so that the head-end's own
modules never depend on the layers above them.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from osos.alerts.hook import AlertsHook
from osos.headend.config import HeadendConfig
from osos.headend.scheduler import Scheduler
from osos.headend.service import AfterTick, run_headend
from osos.losses.upkeep import LossHook
from osos.mdm.upkeep import ValidationHook
from osos.runtime import Runtime
from osos.settings import SharingConfig
from osos.sharing.deliveries import DeliveryHook, delivery_transport
from osos.sharing.sender import DeliverySender


def after_tick_hooks(
    runtime: Runtime,
    *,
    sharing: SharingConfig | None = None,
    validation_every: dt.timedelta = dt.timedelta(minutes=15),
    losses_every: dt.timedelta = dt.timedelta(hours=1),
) -> list[AfterTick]:
    """Deliveries first (deadlines), then the validation upkeep, then the loss detectors, then
    the alerts (when ``OSOS_ALERTS_HEADEND_MIN`` is set: they read the month's quarters)."""
    hooks: list[AfterTick] = [
        DeliveryHook(config=sharing),  # None: the deadlines in force (osos.regulation)
        ValidationHook(every=validation_every),  # the validation limits in force, each run
        LossHook(every=losses_every),
    ]
    every = runtime.settings.alerts.headend_every
    if every is not None:
        hooks.append(AlertsHook(every))
    return hooks


async def serve_headend(
    runtime: Runtime,
    *,
    stop: asyncio.Event,
    concurrency: int,
    listen: str | tuple[str, int] | None = None,
    tick_s: float = 5.0,
    config: HeadendConfig | None = None,
    hooks: list[AfterTick] | None = None,
) -> Scheduler:
    """Read on schedule until ``stop`` is set, with the root's after-tick hooks, and send the
    deliveries they make ready (when ``OSOS_DELIVERY_URL`` names a destination)."""
    sender: asyncio.Task[None] | None = None
    if runtime.settings.sharing.delivery_url:
        task = DeliverySender(runtime, delivery_transport(runtime)).run(stop)
        sender = asyncio.create_task(task, name="delivery-sender")
    try:
        return await run_headend(
            runtime,
            stop=stop,
            concurrency=concurrency,
            listen=listen,
            tick_s=tick_s,
            config=config,
            after_tick=after_tick_hooks(runtime) if hooks is None else hooks,
        )
    finally:
        if sender is not None:
            stop.set()
            await sender
