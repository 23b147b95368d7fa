"""The quality review of one closed conversation (全量质检), pure: facts in, the QA record with flags out.

``problem`` — the customer was repeatedly dissatisfied (``dissatisfied_messages`` negative or angry
messages), waited too long (a wait over ``long_wait``, a first response slower than ``slow_first_response``,
or was left unanswered at the close — unless their last words signed off, "好的谢谢"), reply checks found
violations, or the customer complained (a complaint channel or abuse in their words, or a hard-trigger
escalation).
``excellent`` — the customer praised the service (a message after an answer scoring ``praise_score`` or more),
an angry customer (anger ``angry_peak``) ended calm (smoothed anger below ``calm_level``, last message not
negative), or the chat was solved on first contact (the agent closed it resolved, with no transfer, no
escalation and no problem, and it was not itself a repeat inquiry).
Both flags may stand together; every flag comes with its reasons so a reviewer reads why.

The survey answer comes after the close: :func:`survey_reasons` adds what it says when the record is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NEGATIVE = ("negative", "angry")


@dataclass(frozen=True, slots=True)
class Said:
    """One customer message as the emotion engine read it (in its conversation)."""

    text: str
    at: float
    label: str
    score: float
    anger: float
    hard_trigger: str | None
    after_answer: bool


@dataclass(slots=True)
class Facts:
    conversation: Mapping[str, Any]      # the ConversationState fields (id, opened_at, closed_at, agent_id…)
    said: Sequence[Said]
    trend: Mapping[str, Any]             # data["emotion"]: peak, level, levels
    waits: Sequence[Mapping[str, Any]]   # reply_periods rows
    transfers: int
    escalations: Sequence[Mapping[str, Any]]
    violations: Sequence[Mapping[str, Any]]
    tickets: int
    messages: Mapping[str, int]          # count by role
    repeat_inquiry: bool                 # the customer's previous chat closed within the repeat window
    survey: str | None
    signed_off: bool = False             # the customer's last words closed the chat ("好的谢谢"): no answer due


@dataclass(slots=True)
class Review:
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def flag(self, flag: str, code: str, detail: str) -> None:
        self.reasons.append({"flag": flag, "code": code, "detail": detail})

    def has(self, flag: str) -> bool:
        return any(r["flag"] == flag for r in self.reasons)


def review(facts: Facts, limits) -> dict[str, Any]:
    """The ``qa_reviews`` row of the conversation."""
    found = Review()
    _problems(facts, limits, found)
    _excellence(facts, limits, found)
    c, answered = facts.conversation, [w for w in facts.waits if w["outcome"] == "answered"]
    first = next((w["waited_s"] for w in facts.waits if w["kind"] == "first_response"
                  and w["outcome"] == "answered"), None)
    return {"id": c["id"], "conversation_id": c["id"], "storefront_id": c["storefront_id"],
            "shop_id": c["shop_id"], "group": c["group"], "customer_id": c["customer_id"],
            "agent_id": c["agent_id"], "opened_at": c["opened_at"], "closed_at": c["closed_at"],
            "closed_by": c["closed_by"], "duration_s": round(c["closed_at"] - c["opened_at"], 3),
            "customer_messages": facts.messages.get("customer", 0),
            "agent_messages": facts.messages.get("agent", 0), "waits": len(facts.waits),
            "first_response_s": first, "longest_wait_s": max((w["waited_s"] or 0 for w in facts.waits), default=None),
            "mean_wait_s": round(sum(w["waited_s"] for w in answered) / len(answered), 3) if answered else None,
            "transfers": facts.transfers, "escalated": bool(facts.escalations), "complaint": _complained(facts),
            "tickets": facts.tickets, "violations": len(facts.violations),
            "emotion_peak": facts.trend.get("peak"), "emotion_end": facts.trend.get("level"),
            "survey": facts.survey, "problem": found.has("problem"), "excellent": found.has("excellent"),
            "reasons": found.reasons, "emotion": _emotion(facts), "reviewed_at": c["closed_at"]}


def _problems(facts: Facts, limits, found: Review) -> None:
    unhappy = [s for s in facts.said if s.label in NEGATIVE]
    if len(unhappy) >= limits.dissatisfied_messages:
        found.flag("problem", "repeatedly_dissatisfied", " / ".join(s.text[:40] for s in unhappy[:3]))
    for wait in facts.waits:
        slow = limits.slow_first_response if wait["kind"] == "first_response" else limits.long_wait
        if wait["outcome"] == "closed":
            if wait["waited_s"] and (wait["waited_s"] > limits.long_wait or not facts.signed_off):
                found.flag("problem", "left_unanswered",
                           f"the customer's last message waited {wait['waited_s']:.0f} s and was never answered")
        elif wait["waited_s"] is not None and wait["waited_s"] > slow:
            code = "slow_first_response" if wait["kind"] == "first_response" else "long_wait"
            found.flag("problem", code, f"waited {wait['waited_s']:.0f} s (limit {slow:.0f} s)")
    if facts.violations:
        codes = sorted({v["code"] for v in facts.violations})
        found.flag("problem", "violations", f"{len(facts.violations)} reply-check finding(s): {', '.join(codes)}")
    if _complained(facts):
        found.flag("problem", "complaint", _complaint_detail(facts))


def _complained(facts: Facts) -> bool:
    return any(s.hard_trigger for s in facts.said) or any(e["reason"] == "hard_trigger" for e in facts.escalations)


def _complaint_detail(facts: Facts) -> str:
    said = next((s for s in facts.said if s.hard_trigger), None)
    return f"{said.hard_trigger}: {said.text[:60]}" if said else "escalated on a hard trigger"


def _excellence(facts: Facts, limits, found: Review) -> None:
    praise = [s for s in facts.said if s.after_answer and s.score >= limits.praise_score and s.label == "positive"]
    if praise:
        found.flag("excellent", "praised", praise[-1].text[:60])
    peak, end = facts.trend.get("peak", 0.0), facts.trend.get("level", 0.0)
    last = facts.said[-1] if facts.said else None
    if peak >= limits.angry_peak and end < limits.calm_level and last is not None and last.label not in NEGATIVE:
        found.flag("excellent", "calmed_down", f"anger {peak:.2f} -> {end:.2f}; last words: {last.text[:40]}")
    c = facts.conversation
    if (c["resolved"] is True and c["closed_by"] == c["agent_id"] and not facts.transfers and not facts.escalations
            and not facts.repeat_inquiry and not found.has("problem")):
        found.flag("excellent", "solved_on_first_contact", "closed resolved by the first agent, no transfer")


def _emotion(facts: Facts) -> dict[str, Any]:
    return {"levels": list(facts.trend.get("levels", [])), "peak": facts.trend.get("peak"),
            "end": facts.trend.get("level"),
            "messages": [{"text": s.text[:80], "label": s.label, "score": s.score, "anger": s.anger}
                         for s in facts.said]}


def survey_reasons(review_row: Mapping[str, Any], survey: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """What the survey answer adds to a stored review; the SQL filter in :mod:`kpis.reads` mirrors it."""
    if not survey or survey.get("status") != "answered":
        return []
    rating, resolved = survey.get("rating"), survey.get("resolved")
    if resolved is False or (rating is not None and rating <= 2):
        return [{"flag": "problem", "code": "survey_dissatisfied", "detail": f"answered {survey.get('answer')!r}"}]
    first_contact = not review_row["transfers"] and not review_row["escalated"]
    if resolved is True and (rating is None or rating >= 4) and first_contact:
        return [{"flag": "excellent", "code": "survey_solved", "detail": f"answered {survey.get('answer')!r}"}]
    return []
