"""``bot:`` — the chatbot tier in front of the agents (config-v1 keys: mode, engine, webhook_url, secret,
min_confidence, timeout)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.durations import Duration


class BotConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["off", "first", "overflow"] = "off"
    engine: Literal["builtin", "webhook"] = "builtin"
    webhook_url: str | None = None
    secret: str | None = None
    min_confidence: float = Field(0.8, ge=0.0, le=1.0)
    timeout: Duration = 2.0
    handoff_anger: float = Field(0.5, ge=0.0, le=1.0, description="a customer this angry goes to a person")
    handoff_text: str = "亲，正在为您转接人工客服，请稍候～"
    misses_before_handoff: int = Field(2, ge=1)
    breaker_threshold: int = Field(3, ge=1)
    breaker_cooldown: Duration = 30.0

    @model_validator(mode="after")
    def _webhook_has_url(self) -> "BotConfig":
        if self.mode != "off" and self.engine == "webhook" and not self.webhook_url:
            raise ValueError("engine webhook needs webhook_url")
        return self
