"""``osos simulate``: a fleet of virtual meters behind virtual GPRS modems."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer

from osos.cli.util import command_runtime
from osos.domain import CommMode
from osos.errors import InvalidInput
from osos.simulator.faults import Fault, parse_fault_option
from osos.simulator.fleet import Fleet, ListenFailed
from osos.simulator.fromdb import meter_rows
from osos.simulator.spec import MeterSpec, specs_for, specs_from_meters
from osos.timeutil import SYSTEM_CLOCK, local_iso
from osos.transport.tcp import install_uvloop

app = typer.Typer()


def _headend(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise typer.BadParameter(f"--dial-in must be HOST:PORT, got {text!r}")
    return host, int(port)


def _latency(text: str) -> float | tuple[float, float]:
    low, dash, high = text.strip().partition("-")
    try:
        values = (float(low), float(high)) if dash else (float(low), float(low))
    except ValueError:
        raise typer.BadParameter(
            f"must be seconds or a range like 1-3, got {text!r}", param_hint="--latency"
        ) from None
    if values[0] < 0 or values[1] < values[0]:
        raise typer.BadParameter(f"not a valid range: {text!r}", param_hint="--latency")
    return values if dash else values[0]


Meters = Annotated[int, typer.Option("--meters", "-n", min=1, help="How many meters to simulate.")]
PortBase = Annotated[
    int | None,
    typer.Option(help="Meter i listens on PORT_BASE+i (default 41000 unless --dial-in)."),
]
Seed = Annotated[int, typer.Option(help="Seed of the generated fleet and its faults.")]
DialIn = Annotated[
    str | None, typer.Option(help="HOST:PORT of the head-end listener the modems call.")
]
Interval = Annotated[float, typer.Option(help="Seconds between dial-in calls.")]
Latency = Annotated[
    str, typer.Option(help="Modem latency per answer in seconds: 2, or a range 1-3.")
]
EmulateBaud = Annotated[bool, typer.Option(help="Pace bytes as the negotiated baud rate would.")]
Faults = Annotated[
    list[str],
    typer.Option(
        help="SERIAL=kind[,kind…] (repeatable); kinds: " + ", ".join(f.value for f in Fault)
    ),
]
FaultRate = Annotated[
    float, typer.Option(min=0.0, max=1.0, help="Share of meters given a random fault.")
]
FromDb = Annotated[
    bool, typer.Option(help="Simulate the dial-out/dial-in meters of the configured database.")
]
Host = Annotated[str, typer.Option(help="Address the modems listen on.")]
Dlms = Annotated[
    bool, typer.Option(help="Every meter speaks DLMS/COSEM over the IP wrapper (port P+i).")
]
DlmsHdlc = Annotated[
    bool, typer.Option(help="DLMS meters speak HDLC over TCP instead (implies --dlms).")
]
DlmsShare = Annotated[
    float, typer.Option(min=0.0, max=1.0, help="Share of generated meters that speak DLMS.")
]


@app.command("simulate")
def simulate(
    meters: Meters = 10,
    port_base: PortBase = None,
    seed: Seed = 1,
    dial_in: DialIn = None,
    interval: Interval = 300.0,
    latency: Latency = "0",
    emulate_baud: EmulateBaud = False,
    faults: Faults = [],  # noqa: B006 - Typer's default for a repeatable option
    fault_rate: FaultRate = 0.0,
    from_db: FromDb = False,
    host: Host = "127.0.0.1",
    dlms: Dlms = False,
    dlms_hdlc: DlmsHdlc = False,
    dlms_share: DlmsShare = 0.0,
) -> None:
    """Serve virtual meters (IEC 62056-21 mode C, or DLMS/COSEM) over TCP until Ctrl-C."""
    share = 1.0 if dlms or dlms_hdlc else dlms_share
    headend = _headend(dial_in) if dial_in else None
    delay = _latency(latency)
    if port_base is None and headend is None:
        port_base = 41000
    specs, dialing = (
        _specs_from_db()
        if from_db
        else (specs_for(meters, port_base, seed, dlms_share=share), None)
    )
    if not specs:
        typer.echo("the database has no dial_out or dial_in meters", err=True)
        raise typer.Exit(1)
    pairs = _fault_pairs(faults, {s.serial for s in specs})
    serve = _serve(
        specs, headend, dialing, host, delay, emulate_baud, interval, pairs, fault_rate, seed,
        dlms_hdlc,
    )  # fmt: skip
    install_uvloop()  # the fleet's sockets and timers are most of its work (docs/performance.md)
    try:
        asyncio.run(serve)
    except KeyboardInterrupt:
        typer.echo("stopped")
    except ListenFailed as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    finally:
        asyncio.set_event_loop_policy(None)


def _fault_pairs(options: list[str], serials: set[str]) -> list[tuple[str, Fault]]:
    """``--faults SERIAL=kind[,kind…]`` options, checked against the fleet's serials."""
    try:
        pairs = [pair for option in options for pair in parse_fault_option(option)]
    except InvalidInput as exc:
        raise typer.BadParameter(str(exc), param_hint="--faults") from exc
    unknown = sorted({serial for serial, _ in pairs} - serials)
    if unknown:
        raise typer.BadParameter(f"no such meter(s): {', '.join(unknown)}", param_hint="--faults")
    return pairs


def _specs_from_db() -> tuple[list[MeterSpec], set[str] | None]:
    with command_runtime() as runtime, runtime.sessions() as session:
        rows = meter_rows(session)
    dialing = {row["serial"] for row in rows if row["comm_mode"] == CommMode.DIAL_IN}
    return specs_from_meters(rows), dialing


async def _serve(
    specs: list[MeterSpec],
    headend: tuple[str, int] | None,
    dialing: set[str] | None,
    host: str,
    latency: float | tuple[float, float],
    emulate_baud: bool,
    interval: float,
    pairs: list[tuple[str, Fault]],
    fault_rate: float,
    seed: int,
    dlms_hdlc: bool = False,
) -> None:
    async with Fleet(
        specs,
        host=host,
        latency=latency,
        emulate_baud=emulate_baud,
        seed=seed,
        dlms_hdlc=dlms_hdlc,
    ) as fleet:
        for serial, fault in pairs:
            fleet.set_fault(serial, fault)
        chosen: dict[str, list[str]] = {}
        if fault_rate:
            for serial, fault in fleet.random_faults(fault_rate, seed).items():
                chosen.setdefault(serial, []).append(fault.value)
        for serial, fault in pairs:
            chosen.setdefault(serial, []).append(fault.value)
        ports = fleet.ports
        typer.echo(f"{'serial':<12} {'flag':<4} {'family':<11} {'kind':<10} {'port':>6}  fault")
        for spec in specs:
            port = str(ports.get(spec.serial, "-"))
            fault_name = ",".join(chosen.get(spec.serial, []))
            typer.echo(
                f"{spec.serial:<12} {spec.meter_flag:<4} {spec.family:<11} {spec.kind:<10} "
                f"{port:>6}  {fault_name}"
            )
        if headend is not None:
            serials = dialing if dialing is not None else None
            fleet.dial_in(
                headend[0],
                headend[1],
                interval=interval,
                stagger=min(interval, 10.0),
                serials=serials,
            )
            typer.echo(f"modems dial in to {headend[0]}:{headend[1]} every {interval:g} s")
        elif dialing:
            typer.echo(f"{len(dialing)} dial-in meter(s) need --dial-in HOST:PORT", err=True)
        dlms_count = sum(spec.protocol == "dlms" for spec in specs)
        if dlms_count:
            framing = "HDLC over TCP" if dlms_hdlc else "the IP wrapper"
            typer.echo(f"{dlms_count} meter(s) speak DLMS/COSEM over {framing}")
        since = local_iso(SYSTEM_CLOCK.now().replace(microsecond=0))
        typer.echo(f"{len(specs)} meters served from {since}; Ctrl-C to stop")
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()
