"""The domain's words, as enums shared by every layer (values are what the database stores)."""

from __future__ import annotations

from enum import StrEnum


class OrganisationKind(StrEnum):
    DISTRIBUTION = "distribution"  # the distribution company running OSOS (EDAŞ)
    SUPPLIER = "supplier"  # tedarikçi
    CORPORATE = "corporate"  # kurumsal
    OSB = "osb"  # organised industrial zone
    MARKET_OPERATOR = "market_operator"  # EPİAŞ
    UTILITY = "utility"  # a water, gas or heat distribution company (su/gaz/ısı dağıtım)


class Connection(StrEnum):
    TRANSMISSION = "transmission"
    DISTRIBUTION = "distribution"


class Generation(StrEnum):
    NONE = "none"
    LICENSED = "licensed"
    UNLICENSED = "unlicensed"


class TariffGroup(StrEnum):
    INDUSTRY = "industry"
    BUSINESS = "business"
    RESIDENCE = "residence"
    AGRICULTURAL_IRRIGATION = "agricultural_irrigation"
    LIGHTING = "lighting"


class MeterKind(StrEnum):
    ELECTRICITY = "electricity"
    WATER = "water"
    GAS = "gas"
    HEAT = "heat"


class Protocol(StrEnum):
    """How the head-end talks to a meter: IEC 62056-21, or DLMS/COSEM over the IP wrapper
    (``dlms``), HDLC over TCP (``dlms-hdlc``) or HDLC after an IEC sign-on (``dlms-mode-e``)."""

    IEC62056_21 = "iec62056-21"
    DLMS = "dlms"
    DLMS_HDLC = "dlms-hdlc"
    DLMS_MODE_E = "dlms-mode-e"

    @property
    def is_dlms(self) -> bool:
        return self is not Protocol.IEC62056_21


class SmartClass(StrEnum):
    """The 2026 smart-meter rules' classes (Akıllı Sayaç PRO / EKO); none: a conventional
    electronic meter."""

    PRO = "pro"
    EKO = "eko"
    NONE = "none"


class CommMode(StrEnum):
    DIAL_OUT = "dial_out"  # the head-end connects to the modem's host:port
    DIAL_IN = "dial_in"  # the modem connects to the head-end and identifies itself
    NONE = "none"  # not remotely readable (hand-held terminal only)


class DataSource(StrEnum):
    """Where a stored value came from; shown to everyone who sees the value."""

    ACTUAL = "actual"
    ESTIMATED = "estimated"
    EDITED = "edited"


class ReadSource(StrEnum):
    HEADEND = "headend"
    INGEST = "ingest"  # a capture from a hand-held terminal or optical probe
    IMPORT = "import"  # CSV/XLSX migration or correction


class UserKind(StrEnum):
    ABONE = "abone"
    TEDARIKCI = "tedarikci"
    KURUMSAL = "kurumsal"
    OPERATOR = "operator"
    ADMIN = "admin"


class FeeReason(StrEnum):
    """Why a data request is outside the free plan (the regulator's fee report names it)."""

    OTHER_PERIOD = "other_period"
    OTHER_RESOLUTION = "other_resolution"
    OUTSIDE_PORTFOLIO = "outside_portfolio"
    UTILITY_METER = "utility_meter"
