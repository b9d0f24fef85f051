"""The words of the alert mails and SMS, in the user's language (Turkish by default)."""

from __future__ import annotations

from collections.abc import Sequence

from osos.alerts.model import text
from osos.alerts.store import AlertView

TITLES: dict[str, dict[str, str]] = {
    "tr": {
        "reactive_inductive": "Endüktif reaktif oranı",
        "reactive_capacitive": "Kapasitif reaktif oranı",
        "contract_power": "Sözleşme gücü aşımı",
        "meter_unread": "Okunamayan sayaç",
        "delivery_at_risk": "Gönderim süresi riski",
        "close": "sınıra yakın",
        "exceeded": "sınır aşıldı",
        "subject": "OSOS uyarıları",
        "intro": "OSOS hesabınız için yeni uyarılar:",
        "advice": "önerilen kompanzasyon",
        "excess": "fazla",
        "projected": "ay sonu öngörüsü",
        "outro": "Uyarı tercihlerinizi panelde Uyarılar sayfasından değiştirebilirsiniz.",
    },
    "en": {
        "reactive_inductive": "Inductive reactive ratio",
        "reactive_capacitive": "Capacitive reactive ratio",
        "contract_power": "Contract power exceeded",
        "meter_unread": "Meter not read",
        "delivery_at_risk": "Delivery deadline at risk",
        "close": "close to the limit",
        "exceeded": "limit exceeded",
        "subject": "OSOS alerts",
        "intro": "New alerts for your OSOS account:",
        "advice": "suggested compensation",
        "excess": "excess",
        "projected": "projected to month end",
        "outro": "Change your alert preferences on the panel's Alerts page.",
    },
}
UNITS = {"reactive_inductive": "%", "reactive_capacitive": "%", "contract_power": "kW",
         "meter_unread": "h"}  # fmt: skip


def _words(language: str) -> dict[str, str]:
    return TITLES.get(language, TITLES["tr"])


def line(alert: AlertView, language: str) -> str:
    """One alert as a line: point, month, what, level, value against limit, excess, advice."""
    w = _words(language)
    unit = UNITS.get(alert.kind, "")
    parts = [
        f"{alert.service_point or '-'} {alert.period or ''}",
        f"{w.get(alert.kind, alert.kind)}: {w[alert.level]}",
    ]
    if alert.value is not None and alert.limit is not None:
        parts.append(f"{text(alert.value)} {unit} / {text(alert.limit)} {unit}")
    if alert.detail.get("projected"):
        parts.append(f"{w['projected']} {alert.detail['projected']} %")
    if alert.excess_kvarh is not None and alert.excess_kvarh > 0:
        parts.append(f"{w['excess']} {text(alert.excess_kvarh)} kvarh")
    if alert.advice_kvar is not None:
        parts.append(f"{w['advice']} {text(alert.advice_kvar)} kvar")
    if "message" in alert.detail:
        parts.append(str(alert.detail["message"]))
    return " — ".join(parts)


def digest(alerts: Sequence[AlertView], language: str) -> tuple[str, str]:
    """(subject, body) of one user's mail with every alert not yet sent to them."""
    w = _words(language)
    body = [w["intro"], "", *(f"- {line(a, language)}" for a in alerts), "", w["outro"]]
    return f"{w['subject']} ({len(alerts)})", "\n".join(body)


def sms_line(alert: AlertView, language: str) -> str:
    return f"OSOS: {line(alert, language)}"[:300]
