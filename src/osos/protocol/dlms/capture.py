"""Captured DLMS bytes (hex text or binary) → what they say: frames, APDUs, COSEM values.

Recognises HDLC frames (with or without 7E flags), IP wrapper frames, wired M-Bus long
frames carrying DLMS (CI 0x00–0x1F segments), bare APDUs and bare A-XDR data. Ciphered APDUs
are opened when keys are given. The JSON form is what ``osos dlms parse --json`` prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .acse import Aare, Aarq, Rlre, Rlrq
from .adapter import printable
from .apdu import GeneralBlockTransfer, decode_apdu, kind_of
from .axdr import Data, Tag
from .classes import ScalerUnit
from .cosem import Obis
from .errors import DecodeError, DlmsError
from .hdlc import FLAG, FrameBuffer, HdlcParameters, check_frame
from .security import CipheredApdu, Keys
from .wrapper import WrapperBuffer, WrapperFrame
from .xdlms import DataNotification, GetRequest, GetResponse, Result, result_name

_HEX = re.compile(rb"[0-9a-fA-F\s]+")


def read_input(data: bytes) -> bytes:
    """Hex text (spaces and line breaks allowed) or the raw bytes themselves."""
    stripped = data.strip()
    if stripped and _HEX.fullmatch(stripped):
        digits = re.sub(rb"\s+", b"", stripped)
        if len(digits) % 2:
            raise DecodeError("hex input", len(digits), "an even number of hex digits")
        return bytes.fromhex(digits.decode("ascii"))
    return data


@dataclass
class CaptureReport:
    frames: list[dict[str, Any]] = field(default_factory=list)
    apdus: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    system_title: bytes | None = None  # the sender's, for ciphered APDUs that carry none

    def to_json(self) -> dict[str, Any]:
        return {"frames": self.frames, "apdus": self.apdus, "notes": self.notes}


def parse_capture(
    data: bytes, keys: Keys | None = None, system_title: bytes | None = None
) -> CaptureReport:
    """Decode a capture; DlmsError (with the offset) when the bytes are none of the forms.
    ``system_title``: the sender's, for glo-ciphered APDUs whose AARQ/AARE is not in it."""
    raw = read_input(data)
    report = CaptureReport(system_title=system_title)
    for apdu in _units(raw, report):
        report.apdus.append(describe_apdu(apdu, keys, report))
    return report


def _units(raw: bytes, report: CaptureReport) -> list[bytes]:
    if not raw:
        raise DecodeError("capture", 0, "some bytes")
    noflags = len(raw) > 1 and raw[0] & 0xF0 == 0xA0 and ((raw[0] & 7) << 8 | raw[1]) == len(raw)
    if raw[0] == FLAG or noflags:
        return _hdlc(raw, report)
    if raw[:2] == b"\x00\x01" and len(raw) >= 8:
        return _wrapper(raw, report)
    if raw[0] == 0x68:
        return _mbus(raw, report)
    return [raw]


def _wrapper(raw: bytes, report: CaptureReport) -> list[bytes]:
    """One wrapper frame, or a session's frames one after another (the head-end's record)."""
    buffer = WrapperBuffer()
    buffer.feed(raw)
    payloads = []
    used = 0
    for frame in buffer.frames():
        used += 8 + len(frame.payload)
        report.frames.append(
            {
                "layer": "wrapper",
                "version": frame.version,
                "source": frame.source,
                "destination": frame.destination,
                "length": len(frame.payload),
            }
        )
        payloads.append(frame.payload)
    if used != len(raw):
        WrapperFrame.from_bytes(raw[used:])  # raises, naming what is wrong with the rest
    return payloads


def _hdlc(raw: bytes, report: CaptureReport) -> list[bytes]:
    pieces: list[bytes] = []
    if raw[0] == FLAG:
        buffer = FrameBuffer()
        buffer.feed(raw)
        pieces = list(buffer.frames())
        if not pieces:
            raise DecodeError("HDLC capture", 0, "a whole frame between 7E flags")
    else:
        pieces = [raw]
    apdus: list[bytes] = []
    pending = b""
    for piece in pieces:
        frame, checks = check_frame(piece)
        report.frames.append(
            {
                "layer": "hdlc",
                "type": frame.kind.value,
                "segmented": frame.segmented,
                "destination": _address(frame.destination),
                "source": _address(frame.source),
                "control": frame.control,
                "ns": frame.ns,
                "nr": frame.nr,
                "poll": frame.poll,
                "hcs_ok": checks.hcs_ok,
                "fcs_ok": checks.fcs_ok,
                "info_length": len(frame.info),
            }
        )
        if frame.kind.value in ("SNRM", "UA") and frame.info:
            params = HdlcParameters.from_bytes(frame.info)
            report.frames[-1]["parameters"] = params.__dict__.copy()
            continue
        info = frame.info
        if info[:2] in (b"\xe6\xe6", b"\xe6\xe7"):
            info = info[3:]
        pending += info
        if info and not frame.segmented:
            apdus.append(pending)
            pending = b""
    if pending:
        report.notes.append(
            f"{len(pending)} bytes of a segmented APDU without its last frame: not decoded"
        )
    return apdus


def _address(address: Any) -> dict[str, Any]:
    return {"logical": address.logical, "physical": address.physical, "size": address.size}


def _mbus(raw: bytes, report: CaptureReport) -> list[bytes]:
    """Wired M-Bus long frames ``68 L L 68 C A CI STSAP DTSAP data CS 16``."""
    pos, payload = 0, b""
    while pos < len(raw):
        if len(raw) - pos < 6 or raw[pos] != 0x68 or raw[pos + 3] != 0x68:
            raise DecodeError("M-Bus frame", pos, "68 L L 68")
        length = raw[pos + 1]
        end = pos + 4 + length + 2
        if raw[pos + 2] != length or end > len(raw) or raw[end - 1] != 0x16:
            raise DecodeError("M-Bus frame", pos, f"a long frame of {length} bytes ending in 16")
        body = raw[pos + 4 : end - 2]
        ok = sum(body) % 256 == raw[end - 2]
        report.frames.append(
            {
                "layer": "mbus",
                "c": body[0],
                "a": body[1],
                "ci": body[2],
                "checksum_ok": ok,
                "length": length,
            }
        )
        payload += body[5:]
        pos = end
    return [payload]


# ---------------------------------------------------------------- APDUs


def describe_apdu(raw: bytes, keys: Keys | None, report: CaptureReport) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": kind_of(raw), "length": len(raw)}
    try:
        apdu = decode_apdu(raw)
        if not isinstance(apdu, CipheredApdu):
            out.update(_details(apdu, keys, report))
            return out
    except DecodeError as exc:
        if raw[:1] == b"\x61":  # the jDLMS AARE: BER lengths one short
            report.notes.append(f"AARE decoded leniently (BER lengths one short): {exc}")
            out.update(_details(Aare.from_bytes(raw, lenient=True), keys, report))
            return out
        if raw[:1] in (b"\x01", b"\x02"):
            out.update(kind="data", values=flat_values(Data.from_bytes(raw)))
            return out
        raise
    if isinstance(apdu, CipheredApdu):
        out.update(
            security_control=apdu.security_control,
            invocation_counter=apdu.invocation_counter,
            system_title=apdu.system_title.hex() if apdu.system_title else None,
        )
        if keys is not None:
            try:
                out["decrypted"] = describe_apdu(apdu.open(keys, _title(report)), keys, report)
            except DlmsError as exc:
                out["error"] = str(exc)
    return out


def _title(report: CaptureReport) -> bytes | None:
    if report.system_title is not None:
        return report.system_title
    for apdu in report.apdus:
        title = apdu.get("calling_ap_title") or apdu.get("responding_ap_title")
        if title:
            return bytes.fromhex(title)
    return None


def _details(apdu: Any, keys: Keys | None, report: CaptureReport) -> dict[str, Any]:
    if isinstance(apdu, DataNotification):
        stamp = apdu.date_time
        return {
            "invoke": apdu.invoke,
            "datetime_form": apdu.form.value,
            "datetime": _iso(stamp) if stamp else None,
            "values": flat_values(apdu.body),
        }
    if isinstance(apdu, GetResponse):
        return {
            "invoke": apdu.invoke,
            "block": apdu.block,
            "last": apdu.last,
            "raw_length": len(apdu.raw),
            "results": [_result(r) for r in apdu.results],
        }
    if isinstance(apdu, GetRequest):
        return {
            "invoke": apdu.invoke,
            "next_block": apdu.next_block,
            "attributes": [
                {
                    "class_id": d.class_id,
                    "obis": d.obis.dotted,
                    "attribute": d.attribute,
                    "selective_access": a is not None,
                }
                for d, a in apdu.items
            ],
        }
    if isinstance(apdu, Aarq | Aare):
        fields: dict[str, Any] = {}
        for name, value in apdu.__dict__.items():
            fields[name] = value.hex() if isinstance(value, bytes) else value
        info = apdu.user_information
        title = apdu.calling_ap_title if isinstance(apdu, Aarq) else apdu.responding_ap_title
        if info and info[:1] != b"\x0e":
            known, report.system_title = report.system_title, title or report.system_title
            fields["user_information"] = describe_apdu(info, keys, report)
            report.system_title = known
        return fields
    if isinstance(apdu, Rlrq | Rlre):
        released = apdu.user_information
        return {
            "reason": apdu.reason,
            "user_information": describe_apdu(released, keys, report) if released else None,
        }
    if isinstance(apdu, GeneralBlockTransfer):
        return {
            "block": apdu.block,
            "last": apdu.last,
            "ack": apdu.ack,
            "data_length": len(apdu.data),
        }
    return {
        name: (v.hex() if isinstance(v, bytes) else _plain(v)) for name, v in apdu.__dict__.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Obis):
        return value.dotted
    if isinstance(value, Data):
        return value_json(value)
    if isinstance(value, Result):
        return _result(value)
    if hasattr(value, "__dict__") and not isinstance(value, int | str):
        return {k: _plain(v) for k, v in value.__dict__.items()}
    return value.hex() if isinstance(value, bytes) else value


def _result(result: Result) -> dict[str, Any]:
    if result.data is None:
        return {"error": result_name(result.error)}
    return {"value": value_json(result.data)}


def _iso(stamp: Any) -> str | None:
    try:
        local = stamp.local().isoformat()
    except DlmsError:
        return None
    dev = stamp.deviation
    return local if dev == -0x8000 else f"{local} dev {dev}"


def value_json(value: Data) -> Any:
    """Integers as integers, strings as text (printable) or hex, structures as lists."""
    if value.tag in (Tag.ARRAY, Tag.STRUCTURE, Tag.COMPACT_ARRAY):
        return [value_json(item) for item in value.items]
    if value.tag in (Tag.OCTET_STRING, Tag.VISIBLE_STRING, Tag.UTF8_STRING):
        return printable(value)
    if value.tag in (Tag.DATE_TIME, Tag.DATE, Tag.TIME, Tag.BIT_STRING):
        return repr(value.value)
    return value.value


def _is_obis(item: Data) -> bool:
    return item.tag is Tag.OCTET_STRING and isinstance(item.value, bytes) and len(item.value) == 6


def _is_scaler(item: Data) -> bool:
    return (
        item.tag is Tag.STRUCTURE
        and len(item.items) == 2
        and item.items[0].tag is Tag.INTEGER
        and item.items[1].tag is Tag.ENUM
    )


def flat_values(body: Data) -> list[dict[str, Any]]:
    """A push body as a list of {obis?, value, scaler?, unit?}: OBIS/value pairs (flat or in
    structures), with a scaler_unit structure after the value where the meter sends one."""
    out: list[dict[str, Any]] = []
    items = list(body.items) if body.tag in (Tag.ARRAY, Tag.STRUCTURE) else [body]
    i = 0
    while i < len(items):
        item = items[i]
        if item.tag is Tag.STRUCTURE and item.items and _is_obis(item.items[0]):
            out.extend(flat_values(item))
            i += 1
            continue
        entry: dict[str, Any] = {}
        if _is_obis(item) and i + 1 < len(items) and not _is_obis(items[i + 1]):
            entry["obis"] = ".".join(str(b) for b in item.as_bytes())
            i += 1
            item = items[i]
        entry["value"] = value_json(item)
        stamp = item.as_datetime() if item.tag is Tag.OCTET_STRING else None
        if stamp is not None:
            entry["datetime"] = _iso(stamp)
        if i + 1 < len(items) and _is_scaler(items[i + 1]):
            scaler = ScalerUnit.from_data(items[i + 1])
            entry.update(scaler=scaler.scaler, unit=scaler.symbol)
            i += 1
        out.append(entry)
        i += 1
    return out
