"""What a pipeline step sees: the event, the conversation's state (loaded under its lock), the services it may
read, and the list of actions it appends to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.actions import Action
from gateway.conversation import ConversationState
from gateway.events import Event


CONSUMED = "consumed"


@dataclass(frozen=True, slots=True)
class Rejection:
    status: int                  # the HTTP status an HTTP caller gets
    code: str
    message: str
    details: dict[str, Any] | None = None


@dataclass(slots=True)
class Context:
    event: Event
    conversation: ConversationState | None
    now: float
    services: Any                # gateway.services.Services (typed there; Any here keeps the kernel acyclic)
    actions: list[Action] = field(default_factory=list)
    message: dict[str, Any] | None = None      # the customer message as agents receive it (set by intake)
    analysis: dict[str, Any] = field(default_factory=dict)      # JSON: what agents see
    facts: dict[str, Any] = field(default_factory=dict)         # typed results later steps read (e.g. Emotion)
    opened: bool = False         # this event opened the conversation
    stopped: str | None = None   # why the pipeline stopped early
    rejection: Rejection | None = None

    @property
    def consumed(self) -> bool:
        return self.stopped == CONSUMED

    def consume(self) -> None:
        """A closed conversation took this customer message as its follow-up: nothing else happens to it."""
        self.stop(CONSUMED)

    def emit(self, action: Action) -> None:
        self.actions.append(action)

    def stop(self, reason: str) -> None:
        self.stopped = reason

    def reject(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        """Refuse the event (the caller gets a protocol error) and stop the pipeline."""
        self.rejection = Rejection(status, code, message, details)
        self.stop(code)
