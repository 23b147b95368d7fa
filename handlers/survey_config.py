"""``survey:`` — the one-question post-chat survey (config-v1 keys: question, answer_window, min_interval)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.durations import Duration

Exclusion = Literal["agent_never_answered", "customer_left", "asked_recently", "escalation_unresolved"]


class SurveyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    question: str = "本次服务是否解决了您的问题？回复 1 已解决，2 未解决"
    scale: int | None = Field(None, ge=2, le=10, description="a rating question 1..scale instead of 1/2")
    answer_window: Duration = 600.0
    min_interval: Duration = 86400.0
    thanks: str | None = "感谢您的评价，祝您生活愉快～"
    exclude: list[Exclusion] = Field(default_factory=lambda: ["agent_never_answered", "customer_left",
                                                              "asked_recently", "escalation_unresolved"])
