"""The whole story of one conversation, pure: every message, wait, automatic decision, alert, ticket, survey and
the quality review, in time order, each with its reason — built from :func:`kpis.reads.conversation_records`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.timefmt import iso

ALERTS = {"watchdog", "alert", "escalate", "escalation_offered", "reply_rejected"}
# At one instant: the customer's message (or the close) first, then what was decided about it, then what was
# sent because of it, then the waits it started or ended; the review last.
_ORDER = {"opened": 0, "customer": 1, "closed": 2, "decision": 3, "alert": 3, "message": 4, "wait_started": 5,
          "wait_ended": 5, "ticket": 6, "review": 7}


def entry(at: float, type_: str, **fields: Any) -> dict[str, Any]:
    return {"at": at, "type": type_, **{k: v for k, v in fields.items() if v is not None}}


def timeline(conversation: Mapping[str, Any], records: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    c = conversation
    events = [entry(c["opened_at"], "opened", customer_id=c["customer_id"], group=c["group"], shop_id=c["shop_id"])]
    if c["closed_at"] is not None:
        events.append(entry(c["closed_at"], "closed", by=c["closed_by"], resolved=c["resolved"]))
    events += [entry(m["received_at"], "message", role=m["role"], author_id=m["author_id"], text=m["text"],
                     message_id=m["id"], script_id=m["script_id"]) for m in records["messages"]]
    events += [entry(d["at"], "alert" if d["kind"] in ALERTS else "decision", kind=d["kind"], reason=d["reason"],
                     agent_id=d["agent_id"], details=d["details"] or None) for d in records["decisions"]]
    for wait in records["waits"]:
        events.append(entry(wait["started_at"], "wait_started", kind=wait["kind"]))
        if wait["outcome"] != "waiting":
            ended = wait["answered_at"] or wait["started_at"] + (wait["waited_s"] or 0)
            events.append(entry(ended, "wait_ended", kind=wait["kind"], outcome=wait["outcome"],
                                waited_s=wait["waited_s"], agent_id=wait["agent_id"],
                                auto_replied=wait["auto_replied"] or None))
    for ticket in records["tickets"]:
        for status, at in (("acked", ticket["acked_at"]), ("resolved", ticket["resolved_at"])):
            if at is not None:
                events.append(entry(at, "ticket", ticket_id=ticket["id"], status=status, note=ticket["note"]))
    for review in records["reviews"]:
        events.append(entry(review["reviewed_at"], "review", problem=review["problem"],
                            excellent=review["excellent"], reasons=review["reasons"]))
    events.sort(key=lambda e: (e["at"], _ORDER["customer" if e.get("role") == "customer" else e["type"]]))
    return [{**e, "at": iso(e["at"])} for e in events]
