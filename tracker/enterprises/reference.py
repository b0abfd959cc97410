"""Fixed reference lists from the customs rules: credit regimes and levels, customs-code digits.

Lists that officials edit (trade modes, certificate types, need categories) are tables instead.
"""
import enum
from datetime import date

from flask_babel import lazy_gettext as _l


class CreditRegime(str, enum.Enum):
    """The decree under which a credit level was given; levels change with the rules."""

    DECREE_237 = "decree_237"  # 2018-05-01
    DECREE_251 = "decree_251"  # 2021-11-01
    DECREE_282 = "decree_282"  # 2026-04-01

    @property
    def label(self):
        return REGIME_LABELS[self]


REGIME_LABELS = {
    CreditRegime.DECREE_237: _l("Decree 237 (2018)"),
    CreditRegime.DECREE_251: _l("Decree 251 (2021)"),
    CreditRegime.DECREE_282: _l("Decree 282 (2026)"),
}

CREDIT_LEVEL_LABELS = {
    "advanced_certified": _l("Advanced certified enterprise"),
    "general_certified": _l("General certified enterprise"),
    "certified": _l("Certified enterprise"),
    "general_credit": _l("General credit enterprise"),
    "regular": _l("Regular enterprise"),
    "discredited": _l("Discredited enterprise"),
    "seriously_discredited": _l("Seriously discredited enterprise"),
}

# Which levels each regime knows, best first.
REGIME_LEVELS = {
    CreditRegime.DECREE_237: ("advanced_certified", "general_certified", "general_credit", "discredited"),
    CreditRegime.DECREE_251: ("advanced_certified", "general_credit", "discredited"),
    CreditRegime.DECREE_282: ("advanced_certified", "certified", "regular", "discredited", "seriously_discredited"),
}

# The day each regime came into force (DOMAIN.md): decree 237 from 2018-05-01, 251 from 2021-11-01, 282 from
# 2026-04-01.
REGIME_STARTS = {
    CreditRegime.DECREE_237: date(2018, 5, 1),
    CreditRegime.DECREE_251: date(2021, 11, 1),
    CreditRegime.DECREE_282: date(2026, 4, 1),
}

# The levels a certification (认证) gives under each regime, best first.
CERTIFIED_LEVELS = {
    CreditRegime.DECREE_237: ("advanced_certified", "general_certified"),
    CreditRegime.DECREE_251: ("advanced_certified",),
    CreditRegime.DECREE_282: ("advanced_certified", "certified"),
}


def regime_in_force(day: date) -> CreditRegime | None:
    """The regime in force on *day*: the latest one started on or before it; None before 2018-05-01."""
    started = [regime for regime, start in REGIME_STARTS.items() if start <= day]
    return max(started, key=REGIME_STARTS.__getitem__) if started else None


# Customs registration code, digit 5: economic zone.
ECONOMIC_ZONES = {
    "1": _l("Special economic zone"),
    "2": _l("Economic and technological development zone"),
    "3": _l("High-tech industrial zone"),
    "4": _l("Bonded zone"),
    "5": _l("Export processing zone"),
    "9": _l("Other"),
}

# Customs registration code, digit 6 (and the firm's economic type).
ECONOMIC_TYPES = {
    "1": _l("State-owned"),
    "2": _l("Sino-foreign cooperative"),
    "3": _l("Sino-foreign joint venture"),
    "4": _l("Wholly foreign-owned"),
    "5": _l("Collective"),
    "6": _l("Private"),
    "7": _l("Individual business"),
    "8": _l("Customs broker"),
    "9": _l("Other"),
}

TRADE_MODES = [
    ("0110", "一般贸易", "General trade"),
    ("0214", "来料加工", "Processing with supplied materials"),
    ("0615", "进料对口", "Processing with imported materials (matched)"),
    ("0715", "进料非对口", "Processing with imported materials (unmatched)"),
    ("0255", "来料深加工", "Further processing, supplied materials"),
    ("0654", "进料深加工", "Further processing, imported materials"),
    ("0130", "易货贸易", "Barter trade"),
    ("0513", "补偿贸易", "Compensation trade"),
    ("0420", "加工贸易设备", "Processing-trade equipment"),
    ("9610", "跨境电商", "Cross-border e-commerce"),
]


def decode_customs_code(code: str | None) -> dict[str, str] | None:
    """Digits 5 and 6 of a customs registration code, for display."""
    if not code or len(code) != 10:
        return None
    return {
        "place": code[:4],
        "zone": str(ECONOMIC_ZONES.get(code[4], _l("Unknown"))),
        "type": str(ECONOMIC_TYPES.get(code[5], _l("Unknown"))),
        "sequence": code[6:],
    }
