"""``tickets:`` — how problems found in chats become tickets and reach the teams (``teams`` and ``intents`` are
config-v1 top-level keys)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gateway.durations import Duration


class TicketsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_confidence: float = Field(0.6, ge=0.0, le=1.0, description="intent confidence that opens a ticket")
    max_attempts: int = Field(8, ge=1, description="webhook attempts before a delivery becomes a dead letter")
    retry_base: Duration = 1.0
    retry_cap: Duration = 300.0
    timeout: Duration = 5.0
    breaker_threshold: int = Field(5, ge=1, description="consecutive failures that open a team's circuit")
    breaker_cooldown: Duration = 30.0
    workers: int = Field(4, ge=1, description="deliveries in flight per team")
