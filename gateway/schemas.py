"""Inbound bodies and frames of protocol v1, validated strictly (ids are strings, text 1..4000 characters).

Unknown fields are ignored: integrations may send more than the protocol names.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, model_validator

MAX_TEXT = 4000


class Inbound(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CustomerMessageIn(Inbound):
    message_id: StrictStr = Field(min_length=1, max_length=200)
    customer_id: StrictStr = Field(min_length=1, max_length=200)
    text: StrictStr = Field(min_length=1, max_length=MAX_TEXT)
    sent_at: StrictStr | None = None
    shop_id: StrictStr = "default"
    order_id: StrictStr | None = Field(None, max_length=100)
    customer_name: StrictStr | None = Field(None, max_length=100)
    metadata: dict[str, Any] = Field(default_factory=dict)


class AgentReplyIn(Inbound):
    conversation_id: StrictStr = Field(min_length=1)
    client_msg_id: StrictStr = Field(min_length=1, max_length=200)
    text: StrictStr = Field(min_length=1, max_length=MAX_TEXT)
    script_id: StrictStr | None = None


class CloseIn(Inbound):
    conversation_id: StrictStr = Field(min_length=1)
    resolved: StrictBool | None = None


class CloseBodyIn(Inbound):
    resolved: StrictBool | None = None


class TransferIn(Inbound):
    conversation_id: StrictStr = Field(min_length=1)
    to_agent: StrictStr | None = None
    to_group: StrictStr | None = None
    note: StrictStr | None = Field(None, max_length=MAX_TEXT)

    @model_validator(mode="after")
    def _one_target(self) -> "TransferIn":
        if (self.to_agent is None) == (self.to_group is None):
            raise ValueError("give exactly one of to_agent or to_group")
        return self


class EscalationIn(Inbound):
    escalation_id: StrictStr = Field(min_length=1)


class SupervisionIn(Inbound):
    conversation_id: StrictStr = Field(min_length=1)
    text: StrictStr | None = Field(None, min_length=1, max_length=MAX_TEXT)


class PresenceIn(Inbound):
    status: Literal["online", "away"]
