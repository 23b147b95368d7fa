"""Finding the order number a customer mentions, so tickets and handoffs carry it.

Customers paste order numbers among phone numbers, ID numbers, tracking numbers, prices and dates; all
of them are digit runs. The patterns below take the shapes platforms use, and candidates are then
rejected when they are really a mainland mobile number, a valid resident ID number, a tracking number
("快递单号"), a price or a date-time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime

_CUE = r"(?:订单(?:号|编号)?|(?<![快递运物流])单号|order\s*(?:id|no\.?|number|#)?)\s*[:#是为]?\s*"
_START, _END = r"(?<![0-9a-zA-Z.])", r"(?![0-9a-zA-Z]|\.\d)"

DEFAULT_ORDER_PATTERNS: tuple[str, ...] = (
    # An explicit cue ("订单号：…") takes any platform's shape, letters and dashes included.
    _CUE + r"(?P<id>[a-zA-Z]{0,5}[0-9]{6,24}(?:-[0-9]{2,20})?)" + _END,
    # 拼多多: "PDD" prefix (our sample PDD2026112300001), or yymmdd-<12-16 digits>.
    _START + r"(?P<id>pdd[0-9]{8,20})" + _END,
    _START + r"(?P<id>[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])-[0-9]{12,16})" + _END,
    # 淘宝 / 天猫: 18-19 digits.
    _START + r"(?P<id>[1-9][0-9]{17,18})" + _END,
    # 京东: 12 digits (11 would collide with mobile numbers).
    _START + r"(?P<id>[1-9][0-9]{11})" + _END,
)

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_TRACKING_CUE = re.compile(r"(?:快递|运|物流|邮件|包裹)单?号?\s*[:#是为]?\s*$")
_MONEY_AROUND = re.compile(r"[¥￥$]\s*$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_LOOKBACK = 8


def is_mobile_number(candidate: str) -> bool:
    """A mainland mobile number: 11 digits starting 13-19."""
    return _MOBILE.fullmatch(candidate) is not None


def is_resident_id(candidate: str) -> bool:
    """A valid 18-character resident ID (GB 11643): region, birth date and ISO 7064 check digit."""
    if len(candidate) != 18 or not candidate[:17].isdigit() or candidate[0] not in "12345678":
        return False
    if not _is_date(candidate[6:14], "%Y%m%d"):
        return False
    total = sum(int(d) * w for d, w in zip(candidate[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == candidate[17].upper()


def _is_date(digits: str, fmt: str) -> bool:
    try:
        parsed = datetime.strptime(digits, fmt)
    except ValueError:
        return False
    return 1900 <= parsed.year <= 2099


def _looks_like_timestamp(candidate: str) -> bool:
    """12 digits that read as yyyymmddHHMM are a date-time, not a 京东 order."""
    return len(candidate) == 12 and candidate.isdigit() and _is_date(candidate, "%Y%m%d%H%M")


class OrderIdFinder:
    """Finds the order id in a message; patterns are tried in order and the first acceptable hit wins."""

    def __init__(self, patterns: Sequence[str] = DEFAULT_ORDER_PATTERNS) -> None:
        self._patterns = tuple(re.compile(p, re.IGNORECASE) for p in patterns)

    def find(self, text: str) -> str | None:
        """The order id mentioned in ``text`` (upper-cased letters, half-width digits), or None."""
        norm = unicodedata.normalize("NFKC", text)
        for pattern in self._patterns:
            for match in pattern.finditer(norm):
                group = "id" if "id" in pattern.groupindex else 0
                if self._acceptable(norm, match.start(group), match.group(group)):
                    return match.group(group).upper()
        return None

    @staticmethod
    def _acceptable(text: str, start: int, candidate: str) -> bool:
        before = text[max(0, start - _LOOKBACK):start]
        if _TRACKING_CUE.search(before) or _MONEY_AROUND.search(before):
            return False
        return not (is_mobile_number(candidate) or is_resident_id(candidate) or _looks_like_timestamp(candidate))
