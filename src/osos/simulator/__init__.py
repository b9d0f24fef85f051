"""Virtual meters that speak IEC 62056-21 mode C over TCP, as GPRS modems do.

They stand in for real meters in the demo, the tests and the benchmarks. Each meter's state is
a deterministic function of its spec and time (:mod:`.model`, :mod:`.consumption`); how it
writes that state is its family's data (:mod:`.families`); the protocol is the codec's
``MeterSession`` driven by :class:`~.meter.VirtualMeter`; :class:`Fleet` moves the bytes.

The API for the head-end, the demo and the tests::

    from osos.simulator import Fault, Fleet, MeterSpec, specs_for, specs_from_meters

    specs = specs_for(100, port_base=41000, seed=1)    # mixed fleet, meter i on 41000 + i
    specs = specs_from_meters(rows)                    # registry/DB rows (mappings or objects):
        # serial, flag, model, kind, port, password, device_address, tariff_group,
        # generation, balancing_unit[, install_date, family]
    async with Fleet(specs, clock=FixedClock(t), host="127.0.0.1", latency=0.0) as fleet:
        fleet.port(serial)                             # the real port (spec port 0 = any free)
        fleet.ports                                    # {serial: port} of the listening meters
        fleet.meter(serial).registers_at(t)            # MeterModel: expected values, any time
        fleet.meter(serial).snapshot(t)                # everything a readout shows
        fleet.meter(serial).meter_time(t)              # the meter's clock at true time t
        fleet.device(serial).profile(start, end)       # VirtualMeter: the LoadProfile a P.01
        fleet.device(serial).readout_data_sets()       #   read / a readout would give now
        fleet.set_fault(serial, Fault.DROP, count=1)   # next call only; None = until cleared
        fleet.clear_fault(serial)                      # all faults (or one: fault=Fault.X)
        fleet.random_faults(0.1, seed=1)               # {serial: Fault} for 10 % of the meters
        fleet.dial_in("127.0.0.1", 4059, interval=300, retry=5, stagger=10, serials=None)
        await fleet.stop_dial_in()                     # modems call the head-end: ID:<serial>

``Fleet`` options: ``latency`` (seconds, or a (low, high) range drawn per answer),
``emulate_baud`` (pace bytes at 300 Bd, then the negotiated rate), ``idle_timeout`` (a silent
call is hung up), ``option_timeout`` (no option select after the identification: the meter
sends its readout at 300 Bd), ``seed``. ``Fleet.start`` raises :class:`ListenFailed` when a
port is taken. Faults (:class:`Fault`): ``no_answer``, ``drop`` (halfway through the first
long block), ``bad_bcc``, ``wrong_password``, ``garbage``, ``noise``, ``slow_baud``,
``clock_off`` (the clock jumps 2 h 17 min ahead until the head-end sets it, or the fault is
cleared). A session-scoped fault counts calls (one TCP connection = one call).

``MeterSpec`` fields: ``serial``, ``family`` (``makel-c520``, ``emh-lzqj``, ``luna``,
``metcom-mcs301``; water, gas and heat meters ``water-iec``, ``gas-iec``, ``heat-iec``: a mode C
readout of the medium's registers, no load profile), ``kind``
(:class:`CustomerKind`), ``seed``, ``password`` (8 digits, P1), ``port`` (None: no listening
port; 0: any free), ``flag`` (default: the family's), ``device_address`` (accepted in
``/?addr!`` besides an empty address; default: the serial), ``parity`` (7E1 on the wire),
``drift_s`` (clock offset), ``install_date`` (00:00 local), ``initial_wh`` (1.8.0 at
installation), ``peak_w``, ``reset_base`` (0.1.0 at installation).

Registers in the model are integer Wh / varh (``Registers`` tuple: T1, T2, T3, export, QI–QIV;
1.8.0 = T1 + T2 + T3 via :func:`~.model.import_total`); ``families.register_value`` and
``families.quantity`` map OBIS codes to them. Energy accrues in true time; time stamps the
meter writes use its own clock (``model.meter_time``), which W1/W2/W5 writes of 0.9.1 / 0.9.2
set.
"""

from .consumption import CustomerKind
from .faults import Fault
from .fleet import Fleet, ListenFailed
from .meter import VirtualMeter
from .model import MeterModel, Registers, Snapshot, import_total
from .spec import MeterSpec, kind_for, specs_for, specs_from_meters

__all__ = [
    "CustomerKind",
    "Fault",
    "Fleet",
    "ListenFailed",
    "MeterModel",
    "MeterSpec",
    "Registers",
    "Snapshot",
    "VirtualMeter",
    "import_total",
    "kind_for",
    "specs_for",
    "specs_from_meters",
]
