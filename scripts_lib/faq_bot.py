"""The built-in FAQ bot: answers from the public scripts when the matcher is confident enough, never otherwise
(no invented answers), and says when a question needs a person. Pure: no I/O.

What the bot may send is narrower than what an agent is hinted (:func:`bot_may_send`): knowledge entries are
written for agents (some are internal), and many scripts speak about or act on one customer's order ("已为您
查询到{order_id}的物流", "我这边马上同意") — the bot has no order data and cannot act, so those stay with a
person. A message whose best match is such a script, or that names an order of its own ("我的快递怎么还没到"),
is handed over at once (``handoff=True``) rather than answered with the nearest FAQ.

Confidence is not the raw matcher score: the bot must also be sure the best entry beats the next one, so it is
computed from the top score and its lead (:func:`confidence`), scaled so that the shipped ``min_confidence``
of 0.8 is the operating point measured by ``bench/bot_quality.py`` (answer precision ≥ 95%, coverage ≥ 70%).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from scripts_lib.library import Script
from scripts_lib.matcher import Matcher, normalise

ORDER_PLACEHOLDERS = frozenset({"order_id", "tracking_no"})
"""A reply using one of these is about the customer's own order."""

PERSON_CATEGORIES = frozenset({"商品破损", "发错货", "漏发", "修改地址", "差评挽回", "安抚与致歉"})
"""Problems to solve, changes to an order and upset customers: a person's job (and often a ticket's)."""

NOT_FOR_BOT = frozenset({
    # The reply says something was done, or will be done now, for this customer's order.
    "logistics.doorstep.01", "logistics.contact_courier.01", "logistics.reschedule.01", "shipping.expedite.01",
    "stock.notify.01", "return.cancel_unshipped.01", "return.intercept.01", "refund.approve.01",
    "coupon.forgot.01", "invoice.correct.01",
    # The reply states what a lookup found (this colour is sold out, the return arrived) or needs one.
    "stock.variant.01", "stock.discontinued.01", "stock.alternative.01", "return.received.01",
    "refund.failed.01", "repair.progress.01",
    # A dispute about a price shown to this customer.
    "price.fake_discount.01",
})
"""Shipped scripts a bot must not send although no rule above catches them; the library's format has no field
for it (and refuses unknown fields), so the list lives here. Scripts added later are judged by the rules."""

# A message about the customer's own order, parcel, refund or invoice, or naming an order number.
_ORDER_SPECIFIC = re.compile(
    r"我的?(?:订单|单子|快递|包裹|退款|发票|货)|我(?:那|这)\s*(?:单|个订单)|订单号|[a-z]{0,4}\d{10,}"
    r"|还没(?:发|到|收到|退|开|处理)")

LEAD_WEIGHT = 2.0
"""How much the lead over the runner-up counts next to the top score."""
TIE = 0.02
"""Two entries of different categories this close are a coin toss: the bot does not pick one. (Within a category
the entries answer one subject, and either reply is on topic.)"""
OPERATING_POINT = 0.70
"""top + LEAD_WEIGHT × lead at which confidence is 0.8 (bench/bot_quality.py --sweep)."""
SLOPE = 6.0
_TIED = 0.5
_CANDIDATES = 8  # a few more than needed: knowledge entries among them are dropped
_NO_VALUES: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class BotAnswer:
    reply: str | None
    confidence: float
    handoff: bool = False
    reason: str | None = None
    entry: str | None = None


def bot_may_send(script: Script) -> bool:
    """Whether a customer may get this entry's text from the bot, with no agent reading it first."""
    return (script.kind == "script" and script.owner is None and not script.empathy
            and script.category not in PERSON_CATEGORIES and script.id not in NOT_FOR_BOT
            and not ORDER_PLACEHOLDERS & set(re.findall(r"\{(\w+)\}", script.text)))


def confidence(top: float, runner_up: float, tied_subjects: bool = False) -> float:
    """How sure the bot is of the top entry, 0..1, from its matcher score and its lead over the next entry (the
    matcher's floor when no other entry came close); ``tied_subjects``: the next entry is about something else."""
    lead = top - runner_up
    sure = 1 / (1 + math.exp(-SLOPE * (top + LEAD_WEIGHT * lead - OPERATING_POINT) - math.log(4)))
    return round(min(sure, _TIED) if tied_subjects and lead < TIE else sure, 3)


def asks_about_own_order(text: str) -> bool:
    return _ORDER_SPECIFIC.search(normalise(text)) is not None


class FaqBot:
    def __init__(self, matcher: Callable[[], Matcher], min_confidence: float) -> None:
        self._matcher = matcher          # a callable: the library may be reloaded while the gateway runs
        self.min_confidence = min_confidence
        self._sendable: tuple[Matcher | None, frozenset[str]] = (None, frozenset())

    async def turn(self, text: str, *, intent: str | None = None, values: Mapping[str, str] = _NO_VALUES,
                   **_) -> BotAnswer:
        """An answer (``reply`` set, ``confidence`` >= min_confidence); or none, with the confidence and the entry
        that fell short; or a handoff: ``order_specific`` (the message is about the customer's own order) or
        ``needs_person`` (its best match is a script the bot may not send)."""
        if asks_about_own_order(text):
            return BotAnswer(None, 0.0, handoff=True, reason="order_specific")
        matcher = self._matcher()
        ranked = [s for s in matcher.match(text, intent=intent, values=values, limit=_CANDIDATES) if s.kind == "script"]
        if not ranked:
            return BotAnswer(None, 0.0)
        top, runner_up = ranked[0], (ranked[1] if len(ranked) > 1 else None)
        sure = (confidence(top.score, runner_up.score, runner_up.category != top.category) if runner_up
                else confidence(top.score, matcher.min_score))
        if sure < self.min_confidence:
            return BotAnswer(None, sure, entry=top.script_id)
        if top.script_id not in self._bot_scripts(matcher):
            return BotAnswer(None, sure, handoff=True, reason="needs_person", entry=top.script_id)
        return BotAnswer(top.text, sure, entry=top.script_id)

    def _bot_scripts(self, matcher: Matcher) -> frozenset[str]:
        """Ids the bot may send, computed once per matcher (a reload builds a new one).

        Matcher keeps its library's entries privately; reading them here avoids a second copy of the library.
        """
        known, ids = self._sendable
        if known is not matcher:
            ids = frozenset(script.id for script in matcher.entries if bot_may_send(script))
            self._sendable = (matcher, ids)
        return ids
