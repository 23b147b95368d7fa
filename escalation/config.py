"""Escalation config: config-v1's ``escalation:`` block, with the policy's own keys and their defaults.

``anger_threshold`` and ``accept_timeout`` are fixed by config-v1; the rest are added keys (allowed by
config-v1), each with a default, so an empty ``escalation:`` block behaves sensibly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.durations import Duration

HardTrigger = Literal["complaint_channel", "abuse"]


class EscalationConfig(BaseModel):
    """When a conversation is handed to a senior, and how."""

    model_config = ConfigDict(extra="forbid")

    anger_threshold: float = Field(0.7, ge=0.0, le=1.0)
    """A message whose ``anger`` reaches this escalates (0.7 = the engine's ``angry`` label)."""
    sustained_level: float = Field(0.5, ge=0.0, le=1.0)
    """The smoothed anger (trend level) that escalates too: several annoyed messages in a row, none of
    them angry enough alone (0.6, 0.6, 0.6 reaches 0.52)."""
    accept_timeout: Duration = 30.0
    """A senior who does not accept in time: the next senior, then the supervisors."""
    mode: Literal["transfer", "assist"] = "transfer"
    """transfer: the senior takes the conversation; assist: the senior whispers advice to the agent."""
    release_threshold: float = Field(0.4, ge=0.0, le=1.0)
    """Hysteresis: after an escalation, the smoothed anger must have fallen below this before a new
    outburst can escalate on anger level again."""
    cooldown: Duration = 600.0
    """No new escalation this long after the previous one (pass the time it resolved, see the policy)."""
    rise_window: int = Field(3, ge=2, le=8)
    """Messages over which a rising trend is judged (the trend keeps the last 8)."""
    rise_slope: float = Field(0.12, gt=0.0, le=1.0)
    """Rise of the smoothed anger per message, over ``rise_window``, that counts as rising."""
    rise_floor: float = Field(0.45, ge=0.0, le=1.0)
    """A rise below this smoothed level is not worth a senior (calm → slightly annoyed)."""
    long_wait: Duration = 300.0
    """Unanswered this long, with a negative mood, escalates."""
    long_wait_score: float = Field(-0.3, ge=-1.0, le=0.0)
    """The message score at or below which a long wait counts as negative."""
    hard_triggers: list[HardTrigger] = Field(default_factory=lambda: ["complaint_channel", "abuse"])
    """Hard triggers that escalate at once, whatever the anger level; [] disables them."""
    order_patterns: list[str] | None = None
    """Regexes for order numbers (a named group ``id`` is optional); None: the built-in platform patterns."""
    lexicon_dir: Path | None = None
    """A directory with the emotion lexicons (same files as escalation/lexicons); None: the bundled ones."""

    @model_validator(mode="after")
    def _release_below_threshold(self) -> EscalationConfig:
        if self.release_threshold >= min(self.anger_threshold, self.sustained_level):
            raise ValueError("release_threshold must be below anger_threshold and sustained_level, "
                             "or escalations flip-flop")
        return self
