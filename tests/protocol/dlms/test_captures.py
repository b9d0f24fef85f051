"""Every capture in tests/data/dlms decodes to what its SOURCES.md row says: addresses,
check sums, APDU fields, COSEM values, and the plain text of the ciphered ones with the
published keys; byte-exact round trips wherever osos encodes the same frame."""

from __future__ import annotations

from decimal import Decimal

import pytest

from osos.protocol.dlms.acse import Aare, Aarq, Mechanism, Rlre
from osos.protocol.dlms.apdu import decode_apdu
from osos.protocol.dlms.axdr import Data, Tag
from osos.protocol.dlms.capture import flat_values, parse_capture
from osos.protocol.dlms.classes import ScalerUnit, capture_objects, profile_rows
from osos.protocol.dlms.cosem import AttributeDescriptor, Obis, RangeDescriptor
from osos.protocol.dlms.dates import DateTime
from osos.protocol.dlms.hdlc import FrameKind, HdlcAddress, HdlcFrame, HdlcParameters, check_frame
from osos.protocol.dlms.initiate import ConfirmedServiceError, InitiateRequest, InitiateResponse
from osos.protocol.dlms.security import CipheredApdu, Keys
from osos.protocol.dlms.wrapper import WrapperFrame
from osos.protocol.dlms.xdlms import (
    ActionRequest,
    ActionResponse,
    DataNotification,
    DateTimeForm,
    GetRequest,
    GetResponse,
)

from .conftest import GREEN_BOOK, SERVER_TITLE, all_samples, sample

A = HdlcAddress
# file → (kind, destination, source, has HCS); SOURCES.md "frame kind(s)" and addresses.
HDLC: dict[str, tuple[FrameKind, HdlcAddress, HdlcAddress, bool]] = {
    "dlmscosem_hdlc_snrm": (FrameKind.SNRM, A(1, 17, 2), A(16), False),
    "dlmscosem_hdlc_ua_params": (FrameKind.UA, A(16), A(1, 17, 2), True),
    "dlmscosem_hdlc_i_aarq": (FrameKind.I, A(1, 17, 2), A(16), True),
    "dlmscosem_hdlc_i_aare": (FrameKind.I, A(16), A(1, 17, 2), True),
    "dlmscosem_hdlc_i_segmented": (FrameKind.I, A(16), A(1), True),
    "aidon_han_hdlc_ui_datanotification": (FrameKind.UI, A(32), A(4, 65, 2), True),
    "cosemlib_hdlc_snrm_params": (FrameKind.SNRM, A(1, 17, 4), A(1), True),
    "cosemlib_hdlc_ua_params": (FrameKind.UA, A(16), A(1, 17, 4), True),
    "cosemlib_hdlc_rr": (FrameKind.RR, A(1, 18, 4), A(3), False),
    "cosemlib_hdlc_i_aare": (FrameKind.I, A(3), A(1, 18, 4), True),
    "landisgyr_e650_hdlc_ua_noflags": (FrameKind.UA, A(48), A(1), True),
    "kamstrup_hdlc_ua_noflags": (FrameKind.UA, A(17), A(1, 0, 2), True),
    "iskra_hdlc_ua_noflags": (FrameKind.UA, A(100), A(1, 17, 2), True),
    "jdlms_hdlc_i_aare_noflags": (FrameKind.I, A(16), A(1), True),
    "landisgyr_e650_hdlc_rr_noflags": (FrameKind.RR, A(17, 5481, 4), A(48), False),
    "kaifa_ma304h3e_list1": (FrameKind.I, A(0), A(1, 0, 2), True),
    "kaifa_ma304h3e_list2": (FrameKind.I, A(0), A(1, 0, 2), True),
    "kamstrup_han_list2_2017": (FrameKind.UI, A(21), A(16), True),
    "kamstrup_han_list2_no09tag": (FrameKind.UI, A(21), A(16), True),
    "iskra_am550_si_hdlc_datanotification": (FrameKind.UI, A(103), A(1, 17, 2), True),
    "kamstrup_pull_hdlc_disc": (FrameKind.DISC, A(1), A(16), False),
    "kamstrup_pull_hdlc_ua_after_disc": (FrameKind.UA, A(16), A(1), False),
    "kamstrup_pull_hdlc_get_response": (FrameKind.I, A(16), A(1), True),
    "kamstrup_pull_hdlc_ua_params": (FrameKind.UA, A(16), A(1), True),
    "mem600_hdlc_ua_4byte_addr": (FrameKind.UA, A(1), A(1, 2836, 4), True),
    "mem600_hdlc_i_rlre": (FrameKind.I, A(1), A(1, 2836, 4), True),
    "gurux_issue_hdlc_ua_params": (FrameKind.UA, A(2), A(1, 16, 2), True),
}


def _body(raw: bytes) -> bytes:
    return raw[1:-1] if raw[0] == 0x7E else raw


@pytest.mark.parametrize("name", sorted(HDLC))
def test_hdlc_frames_decode_with_their_checks_and_round_trip(name: str) -> None:
    raw = sample(name)
    frame, checks = check_frame(raw)
    kind, destination, source, has_hcs = HDLC[name]
    assert (frame.kind, frame.destination, frame.source) == (kind, destination, source)
    assert checks.fcs_ok and checks.hcs_ok is (True if has_hcs else None)
    assert frame == HdlcFrame.from_bytes(raw)  # verify=True accepts it
    assert frame.to_bytes(flags=raw[0] == 0x7E) == raw


def test_every_capture_file_is_decoded_by_the_capture_parser() -> None:
    keys = {
        "dlmscosem_udp_wrapper_gglo_datanotification": Keys(
            b"MYDUMMYGLOBALKEY", b"MYDUMMYGLOBALKEY"
        )
    }
    names = all_samples()
    assert len(names) == 51
    for name in names:
        report = parse_capture(
            sample(name).hex().encode(), keys.get(name, GREEN_BOOK), SERVER_TITLE
        )
        assert report.frames or report.apdus, name


@pytest.mark.parametrize(
    ("name", "tx", "rx", "window_tx", "window_rx"),
    [
        ("dlmscosem_hdlc_ua_params", 154, 154, 1, 1),
        ("cosemlib_hdlc_snrm_params", 128, 128, 1, 7),
        ("cosemlib_hdlc_ua_params", 128, 128, 1, 1),
        ("landisgyr_e650_hdlc_ua_noflags", 128, 62, 1, 1),
        ("kamstrup_hdlc_ua_noflags", 116, 116, 1, 1),
        ("iskra_hdlc_ua_noflags", 126, 126, 1, 1),
        ("kamstrup_pull_hdlc_ua_params", 512, 512, 1, 1),
        ("mem600_hdlc_ua_4byte_addr", 242, 242, 1, 1),
        ("gurux_issue_hdlc_ua_params", 256, 256, 1, 1),
    ],
)
def test_snrm_ua_parameters(name: str, tx: int, rx: int, window_tx: int, window_rx: int) -> None:
    info = HdlcFrame.from_bytes(sample(name)).info
    params = HdlcParameters.from_bytes(info)
    assert (params.max_info_tx, params.max_info_rx) == (tx, rx)
    assert (params.window_tx, params.window_rx) == (window_tx, window_rx)
    assert params.to_bytes() == info


def _info_apdu(name: str) -> bytes:
    return HdlcFrame.from_bytes(sample(name)).info[3:]


def test_hdlc_aarq_and_aare_lowest_security() -> None:
    aarq = Aarq.from_bytes(_info_apdu("dlmscosem_hdlc_i_aarq"))
    initiate = InitiateRequest.from_bytes(aarq.user_information)
    assert (aarq.mechanism, initiate.version, initiate.conformance, initiate.max_pdu) == (
        None,
        6,
        0x001E1D,
        65535,
    )
    assert aarq.to_bytes() == _info_apdu("dlmscosem_hdlc_i_aarq")
    frame = HdlcFrame.from_bytes(sample("dlmscosem_hdlc_i_aare"))
    assert (frame.ns, frame.nr) == (0, 1)
    aare = Aare.from_bytes(frame.info[3:])
    response = InitiateResponse.from_bytes(aare.user_information)
    assert aare.accepted and aare.diagnostic == 0
    assert (response.conformance, response.max_pdu, response.vaa_name) == (0x001E1D, 1224, 7)
    assert aare.to_bytes() == frame.info[3:]
    cosemlib = Aare.from_bytes(_info_apdu("cosemlib_hdlc_i_aare"))
    assert InitiateResponse.from_bytes(cosemlib.user_information).max_pdu == 512


def test_jdlms_aare_with_short_lengths_refused_strictly_read_leniently() -> None:
    raw = _info_apdu("jdlms_hdlc_i_aare_noflags")
    with pytest.raises(Exception) as refused:
        InitiateResponse.from_bytes(Aare.from_bytes(raw).user_information)
    assert "offset" in str(refused.value)
    aare = Aare.from_bytes(raw, lenient=True)
    response = InitiateResponse.from_bytes(aare.user_information)
    assert aare.context == 2 and aare.accepted
    assert (response.conformance, response.max_pdu, response.vaa_name) == (0x180220, 2400, 0xFA00)


def test_green_book_association_apdus() -> None:
    lls = Aarq.from_bytes(sample("greenbook_aarq_lls"))
    assert lls.mechanism == Mechanism.LLS and lls.authentication_value == b"12345678"
    assert InitiateRequest.from_bytes(lls.user_information).conformance == 0x007E1F
    hls = Aarq.from_bytes(sample("greenbook_aarq_hls_gmac"))
    assert hls.mechanism == Mechanism.HLS_GMAC and hls.authentication_value == b"K56iVagY"
    aare = Aare.from_bytes(sample("greenbook_aare_hls_gmac"))
    assert (aare.result, aare.diagnostic, aare.mechanism) == (0, 14, 5)
    assert aare.authentication_value == b"P6wRJ21F"
    initiate = InitiateResponse.from_bytes(aare.user_information)
    assert (initiate.conformance, initiate.max_pdu) == (0x00501F, 500)
    rejected = Aare.from_bytes(sample("greenbook_aare_rejected_dlms_version"))
    assert (rejected.result, rejected.diagnostic) == (1, 1)
    assert ConfirmedServiceError.from_bytes(rejected.user_information) == ConfirmedServiceError(
        1, 6, 1
    )
    for name in (
        "greenbook_aarq_lls",
        "greenbook_aarq_hls_gmac",
        "greenbook_aare_hls_gmac",
        "greenbook_aare_rejected_dlms_version",
        "greenbook_aarq_ciphered_lls",
        "greenbook_rlre_ciphered",
    ):
        assert decode_apdu(sample(name)).to_bytes() == sample(name)


def test_green_book_ciphered_aarq_and_rlre_decrypt() -> None:
    aarq = Aarq.from_bytes(sample("greenbook_aarq_ciphered_lls"))
    assert aarq.calling_ap_title == SERVER_TITLE and aarq.authentication_value == b"12345678"
    ciphered = CipheredApdu.from_bytes(aarq.user_information)
    assert (ciphered.security_control, ciphered.invocation_counter) == (0x30, 0x01234567)
    initiate = InitiateRequest.from_bytes(ciphered.open(GREEN_BOOK, aarq.calling_ap_title))
    assert initiate.dedicated_key == bytes.fromhex("00112233445566778899AABBCCDDEEFF")
    assert (initiate.conformance, initiate.max_pdu) == (0x007E1F, 1200)
    rlre = Rlre.from_bytes(sample("greenbook_rlre_ciphered"))
    assert rlre.reason == 0 and rlre.user_information is not None
    response = InitiateResponse.from_bytes(
        CipheredApdu.from_bytes(rlre.user_information).open(GREEN_BOOK, SERVER_TITLE)
    )
    assert (response.conformance, response.max_pdu) == (0x007C1F, 1024)


@pytest.mark.parametrize(
    ("name", "sc", "length"),
    [
        ("greenbook_glo_get_request_auth_enc", 0x30, 32),
        ("greenbook_glo_get_request_enc_only", 0x20, 20),
        ("greenbook_glo_get_request_auth_only", 0x10, 32),
    ],
)
def test_glo_get_requests_decrypt_to_get_clock(name: str, sc: int, length: int) -> None:
    ciphered = CipheredApdu.from_bytes(sample(name))
    plain = ciphered.open(GREEN_BOOK, SERVER_TITLE)
    assert plain == bytes.fromhex("c0010000080000010000ff0200")
    request = GetRequest.from_bytes(plain)
    assert request.items[0][0] == AttributeDescriptor(8, Obis(0, 0, 1, 0, 0, 255), 2)
    assert ciphered.security_control == sc and len(sample(name)) == length
    again = CipheredApdu.seal(plain, sc, SERVER_TITLE, 0x01234567, GREEN_BOOK)
    assert again.to_bytes() == sample(name)


def test_auth_only_tag_is_the_published_one() -> None:
    assert sample("greenbook_glo_get_request_auth_only").endswith(
        bytes.fromhex("06725D910F9221D263877516")
    )


def test_get_responses_and_requests() -> None:
    beacon = WrapperFrame.from_bytes(sample("beacon3100_wrapper_get_response"))
    assert (beacon.source, beacon.destination) == (1, 16)
    response = GetResponse.from_bytes(beacon.payload)
    assert response.invoke == 0x43 and response.result.data == Data(Tag.DOUBLE_LONG_UNSIGNED, 3100)
    kamstrup = GetResponse.from_bytes(_info_apdu("kamstrup_pull_hdlc_get_response"))
    assert kamstrup.result.data == Data(Tag.DOUBLE_LONG_UNSIGNED, 12345679)
    listed = GetResponse.from_bytes(sample("dlmscosem_get_response_with_list"))
    serial, clock = (r.data for r in listed.results)
    assert serial is not None and clock is not None
    assert serial.as_bytes() == b"ISK1030777764366"
    stamp = clock.as_datetime()
    assert stamp is not None and repr(stamp).startswith("DateTime(2021-06-03 14:09:23 dev -60")
    nxt = GetRequest.from_bytes(sample("dlmscosem_get_request_next"))
    assert (nxt.invoke, nxt.next_block) == (0xC1, 1)
    for name in (
        "dlmscosem_get_response_with_list",
        "dlmscosem_get_request_next",
        "dlmscosem_get_response_block1_profile",
        "dlmscosem_get_response_lastblock19_profile",
    ):
        assert decode_apdu(sample(name)).to_bytes() == sample(name)


def test_profile_range_request() -> None:
    request = GetRequest.from_bytes(sample("dlmscosem_get_request_profile_range"))
    item, access = request.items[0]
    assert item == AttributeDescriptor(7, Obis(1, 0, 99, 1, 0, 255), 2)
    assert access is not None
    selection = RangeDescriptor.from_access(access)
    assert selection.restricting == AttributeDescriptor(8, Obis(0, 0, 1, 0, 0, 255), 2)
    low, high = selection.from_value.as_datetime(), selection.to_value.as_datetime()
    assert low is not None and high is not None and selection.columns == ()
    assert repr(low) == "DateTime(2017-10-01 00:00:00 dev -60 st 0x80)"
    assert repr(high) == "DateTime(2017-10-01 01:00:00 dev -60 st 0x80)"
    assert request.to_bytes() == sample("dlmscosem_get_request_profile_range")


def test_profile_blocks_and_buffer_rows() -> None:
    first = GetResponse.from_bytes(sample("dlmscosem_get_response_block1_profile"))
    assert (first.block, first.last, len(first.raw)) == (1, False, 1182)
    assert first.raw[:4] == bytes.fromhex("01820 5a0".replace(" ", ""))  # array[1440]
    last = GetResponse.from_bytes(sample("dlmscosem_get_response_lastblock19_profile"))
    assert (last.block, last.last, len(last.raw)) == (19, True, 380)
    buffer = Data.from_bytes(sample("dlmscosem_profile_buffer_4rows"))
    columns = (
        AttributeDescriptor(8, Obis(0, 0, 1, 0, 0), 2),
        AttributeDescriptor(1, Obis(0, 0, 96, 10, 1), 2),
        AttributeDescriptor(3, Obis(1, 0, 1, 8, 0), 2),
        AttributeDescriptor(3, Obis(1, 0, 2, 8, 0), 2),
    )
    rows = profile_rows(buffer, columns, 3600, None)
    times = [r.time.isoformat() for r in rows if r.time is not None]
    # 2019-12-31 23:00 local, deviation -60 → 22:00 UTC; null clocks: + 60 min each
    assert times == [
        "2019-12-31T22:00:00+00:00",
        "2019-12-31T23:00:00+00:00",
        "2020-01-01T00:00:00+00:00",
        "2020-01-01T01:00:00+00:00",
    ]
    assert [(r.values[1].as_int(), r.values[2].as_int(), r.values[3].as_int()) for r in rows] == [
        (6, 1517, 1620)
    ] * 4
    assert buffer.to_bytes() == sample("dlmscosem_profile_buffer_4rows")
    assert capture_objects(Data.array()) == ()


def test_hls_action_apdus_from_a_kaifa_meter() -> None:
    request = ActionRequest.from_bytes(sample("kaifa_action_request_hls_reply"))
    assert str(request.method) == "15/0.0.40.0.0.255/m1"
    assert request.parameters is not None
    assert request.parameters.as_bytes().hex() == "10012345677d52391c407e3a45210f000e"
    response = ActionResponse.from_bytes(sample("kaifa_action_response_hls"))
    assert response.result == 0 and response.returned is not None
    assert response.returned.data == Data.octets(
        bytes.fromhex("101a9190bc0a587217bcd2bcd4fddb7143")
    )
    assert request.to_bytes() == sample("kaifa_action_request_hls_reply")
    assert response.to_bytes() == sample("kaifa_action_response_hls")


def _push(name: str) -> DataNotification:
    return DataNotification.from_bytes(_info_apdu(name))


def test_aidon_push_values_with_scalers() -> None:
    push = _push("aidon_han_hdlc_ui_datanotification")
    values = {v["obis"]: v for v in flat_values(push.body)}
    assert len(values) == 27
    assert values["0.0.1.0.0.255"]["datetime"] == "2019-12-16T07:59:40"
    assert (values["1.0.1.7.0.255"]["value"], values["1.0.1.7.0.255"]["unit"]) == (1122, "W")
    assert (values["1.0.3.7.0.255"]["value"], values["1.0.3.7.0.255"]["unit"]) == (1507, "var")
    current = values["1.0.51.7.0.255"]
    assert Decimal(current["value"]).scaleb(current["scaler"]) == Decimal("7.5")
    volts = [Decimal(values[f"1.0.{c}.7.0.255"]["value"]).scaleb(-1) for c in (32, 52, 72)]
    assert volts == [Decimal("230.7"), Decimal("249.9"), Decimal("230.8")]
    assert values["1.0.1.8.0.255"]["value"] == 10049926
    assert values["1.0.3.8.0.255"]["value"] == 6614347
    assert push.to_bytes() == _info_apdu("aidon_han_hdlc_ui_datanotification")


def test_kaifa_pushes_with_the_09_0c_date_time() -> None:
    one = _push("kaifa_ma304h3e_list1")
    assert one.form is DateTimeForm.TAGGED and one.date_time is not None
    assert one.date_time.local().isoformat() == "2023-05-17T09:39:32"
    assert flat_values(one.body) == [{"value": 0}]
    two = _push("kaifa_ma304h3e_list2")
    values = [v["value"] for v in flat_values(two.body)]
    assert values == [
        "KFM_001",
        "6970631407916216",
        "MA304H3E",
        0,
        834,
        0,
        129,
        2276,
        1856,
        2257,
        2387,
        0,
        2384,
    ]
    for name in ("kaifa_ma304h3e_list1", "kaifa_ma304h3e_list2"):
        assert _push(name).to_bytes() == _info_apdu(name)


def test_kamstrup_pushes_tagged_and_plain_date_time() -> None:
    old = _push("kamstrup_han_list2_2017")
    new = _push("kamstrup_han_list2_no09tag")
    assert old.form is DateTimeForm.TAGGED and new.form is DateTimeForm.PLAIN
    assert old.date_time is not None and new.date_time is not None
    assert old.date_time.local().isoformat() == "2017-10-20T03:43:30"
    assert new.date_time.local().isoformat() == "2018-03-04T20:52:00"
    values = {v.get("obis", "id"): v["value"] for v in flat_values(old.body)}
    assert values["id"] == "Kamstrup_V0001" and values["1.1.0.0.5.255"] == "5706567274389702"
    assert values["1.1.96.1.1.255"] == "6841121BN243101040"
    assert (values["1.1.1.7.0.255"], values["1.1.4.7.0.255"]) == (1468, 462)
    assert [values[f"1.1.{c}.7.0.255"] for c in (31, 51, 71)] == [564, 202, 511]
    assert [values[f"1.1.{c}.7.0.255"] for c in (32, 52, 72)] == [232, 228, 233]
    later = {v.get("obis", "id"): v["value"] for v in flat_values(new.body)}
    assert later["1.1.1.7.0.255"] == 3815
    assert [later[f"1.1.{c}.7.0.255"] for c in (32, 52, 72)] == [225, 221, 222]
    for name in ("kamstrup_han_list2_2017", "kamstrup_han_list2_no09tag"):
        assert _push(name).to_bytes() == _info_apdu(name)


def test_iskra_push_without_obis() -> None:
    push = _push("iskra_am550_si_hdlc_datanotification")
    assert push.date_time is not None
    assert repr(push.date_time) == "DateTime(2025-05-16 23:45:00 dev -120 st 0x80)"
    assert push.date_time.to_utc() is not None
    values = [v["value"] for v in flat_values(push.body)]
    assert values[:2] == ["ISK1030792283067", "16820005"]
    assert values[2:6] == [246, 0, 0, 286] and values[6:9] == [2325, 2321, 2328]
    assert len(values) == 18


def test_sagemcom_plain_push_with_scalers() -> None:
    push = DataNotification.from_bytes(sample("sagemcom_t210d_at_datanotification_plain"))
    values = {v.get("obis"): v for v in flat_values(push.body)}
    assert values["1.0.1.8.0.255"]["value"] == 4752026 and values["1.0.1.8.0.255"]["unit"] == "Wh"
    assert values["1.0.2.8.0.255"]["value"] == 5157273
    assert (values["1.0.1.7.0.255"]["value"], values["1.0.2.7.0.255"]["value"]) == (0, 9)
    volts = [Decimal(values[f"1.0.{c}.7.0.255"]["value"]).scaleb(-1) for c in (32, 52, 72)]
    assert volts == [Decimal("233.4"), Decimal("232.5"), Decimal("232.1")]
    amps = [Decimal(values[f"1.0.{c}.7.0.255"]["value"]).scaleb(-2) for c in (31, 51, 71)]
    assert amps == [Decimal("0.02"), Decimal("0.48"), Decimal("0.83")]
    pf = values["1.0.13.7.0.255"]
    assert Decimal(pf["value"]).scaleb(pf["scaler"]) == Decimal("0.094")
    assert push.date_time is not None
    assert push.date_time.local().isoformat() == "2024-11-15T14:45:45"
    assert ScalerUnit(-3, 255).symbol == ""
    assert push.to_bytes() == sample("sagemcom_t210d_at_datanotification_plain")


def test_udp_general_glo_push_decrypts() -> None:
    frame = WrapperFrame.from_bytes(sample("dlmscosem_udp_wrapper_gglo_datanotification"))
    assert (frame.source, frame.destination, len(frame.payload)) == (1, 1, 70)
    ciphered = CipheredApdu.from_bytes(frame.payload)
    assert ciphered.system_title == bytes.fromhex("2F19229199164103")
    assert (ciphered.security_control, ciphered.invocation_counter) == (0x30, 0x1E5)
    push = DataNotification.from_bytes(
        ciphered.open(Keys(b"MYDUMMYGLOBALKEY", b"MYDUMMYGLOBALKEY"))
    )
    assert push.invoke == 0x1DB and push.body.tag is Tag.OCTET_STRING
    assert len(push.body.as_bytes()) == 34
    assert frame.to_bytes() == sample("dlmscosem_udp_wrapper_gglo_datanotification")


def test_kaifa_ma309_mbus_push_decrypts_with_the_published_key() -> None:
    keys = Keys(bytes.fromhex("39436F513777354C4D466F4C5333674A"), bytes(16))
    report = parse_capture(sample("kaifa_ma309_pl_mbus_encrypted"), keys)
    assert [f["checksum_ok"] for f in report.frames] == [True, True]
    apdu = report.apdus[0]
    assert (apdu["system_title"], apdu["security_control"], apdu["invocation_counter"]) == (
        "4b464d1020029802",
        0x21,
        0xA28,
    )
    push = apdu["decrypted"]
    assert push["datetime"].startswith("2021-09-27T20:56")
    values = {v["obis"]: v for v in push["values"] if "obis" in v}
    assert values["0.0.96.1.0.255"]["value"] == "1KFM0200169986"
    volts = [Decimal(values[f"1.0.{c}.7.0.255"]["value"]).scaleb(-1) for c in (32, 52, 72)]
    assert volts == [Decimal("227.1"), Decimal("233.0"), Decimal("233.6")]
    amps = [Decimal(values[f"1.0.{c}.7.0.255"]["value"]).scaleb(-2) for c in (31, 51, 71)]
    assert amps == [Decimal("12.41"), Decimal("0.02"), Decimal("0.31")]
    assert values["1.0.1.7.0.255"]["value"] == 2867
    assert values["1.0.1.8.0.255"]["value"] == 278041


def test_wrapper_association_frames() -> None:
    aare = Aare.from_bytes(WrapperFrame.from_bytes(sample("beacon3100_wrapper_aare")).payload)
    assert aare.accepted and InitiateResponse.from_bytes(aare.user_information).max_pdu == 256
    titled = Aare.from_bytes(
        WrapperFrame.from_bytes(sample("beacon3100_wrapper_aare_ap_title")).payload
    )
    assert titled.responding_ap_title == bytes.fromhex("AABBCCDDEEFFABDC")
    assert InitiateResponse.from_bytes(titled.user_information).max_pdu == 128
    rlre = Rlre.from_bytes(WrapperFrame.from_bytes(sample("beacon3100_wrapper_rlre")).payload)
    assert rlre.reason == 0
    mem600 = Rlre.from_bytes(_info_apdu("mem600_hdlc_i_rlre"))
    assert mem600.reason == 0 and mem600.user_information is not None
    response = InitiateResponse.from_bytes(mem600.user_information)
    assert (response.conformance, response.max_pdu) == (0x00521D, 239)
    for name in (
        "beacon3100_wrapper_aare",
        "beacon3100_wrapper_aare_ap_title",
        "beacon3100_wrapper_get_response",
        "beacon3100_wrapper_rlre",
    ):
        frame = WrapperFrame.from_bytes(sample(name))
        assert frame.to_bytes() == sample(name)
        assert decode_apdu(frame.payload).to_bytes() == frame.payload


def test_date_time_of_a_clock_value_resolves_to_utc() -> None:
    stamp = DateTime.from_bytes(bytes.fromhex("07ea030a020d071e00ff4c00"))
    assert stamp.to_utc() is not None
    assert stamp.to_utc().isoformat() == "2026-03-10T10:07:30+00:00"  # type: ignore[union-attr]
