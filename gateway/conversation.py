"""The hot state of one conversation, kept in the state backend (memory or Redis) as JSON.

The durable truth is the database (:mod:`gateway.models`); this is what the pipeline reads and updates under
the conversation's lock. ``data`` holds each handler's own small state under its name (``data["emotion"]`` …),
so adding a capability does not change this class.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import orjson

RECENT_TURNS = 20


@dataclass(slots=True)
class Turn:
    role: str            # customer | agent | bot | auto | survey
    text: str
    at: float
    message_id: str | None = None


@dataclass(slots=True)
class ConversationState:
    id: str
    storefront_id: str
    customer_id: str
    opened_at: float
    shop_id: str = "default"
    customer_name: str | None = None
    order_id: str | None = None
    group: str = "default"
    status: str = "open"
    agent_id: str | None = None
    assign_reason: str | None = None
    updated_at: float = 0.0
    first_response_at: float | None = None
    last_customer_at: float | None = None
    last_agent_at: float | None = None
    waiting_since: float | None = None       # first customer message not answered yet
    closed_at: float | None = None
    closed_by: str | None = None
    resolved: bool | None = None
    listening_until: float | None = None      # closed, but the customer's next message may still belong here
    seq: int = 0
    recent: list[Turn] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def customer_key(self) -> str:
        return customer_key(self.storefront_id, self.customer_id)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def is_live(self) -> bool:
        """Kept in the hot state: open, or closed but listening for a follow-up (a survey answer)."""
        return self.is_open or self.listening_until is not None

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def remember(self, turn: Turn) -> None:
        self.recent.append(turn)
        del self.recent[:-RECENT_TURNS]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able; built field by field (``dataclasses.asdict`` deep-copies recursively: 8x slower)."""
        out = {name: getattr(self, name) for name in _SCALARS}
        out["recent"] = [{"role": t.role, "text": t.text, "at": t.at, "message_id": t.message_id} for t in self.recent]
        out["data"] = self.data
        return out

    def copy(self) -> "ConversationState":
        """An independent copy (turns are never changed in place, so the list is copied, not the turns)."""
        return replace(self, recent=list(self.recent), data=orjson.loads(orjson.dumps(self.data)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ConversationState":
        """Inverse of :meth:`to_dict`; keys this version does not know (written by another) are ignored."""
        recent = [Turn(**t) for t in data.get("recent", ())]
        return cls(**{k: v for k, v in data.items() if k in _FIELDS}, recent=recent)


_FIELDS = frozenset(f.name for f in fields(ConversationState)) - {"recent"}
_SCALARS = tuple(f.name for f in fields(ConversationState) if f.name not in ("recent", "data"))


def customer_key(storefront_id: str, customer_id: str) -> str:
    return f"{storefront_id}:{customer_id}"
