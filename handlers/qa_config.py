"""config.yaml ``qa``: the checks run on an agent's reply before it reaches the customer.

``banned_words`` and ``on_violation`` are fixed by config-v1; the other keys are this project's and all
have defaults, so ``qa: {}`` (or no ``qa`` at all) runs every check with the shipped banned list.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

_MATCHABLE = re.compile(r"[^\W_]")


def _matchable(phrase: str) -> str:
    """Refuse phrases made only of spaces or punctuation: matching ignores those, so they would match nothing."""
    if not _MATCHABLE.search(phrase):
        raise ValueError(f"{phrase!r} has no letter or character to match")
    return phrase.strip()


Phrase = Annotated[str, AfterValidator(_matchable)]


class QAConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    banned_words: list[Phrase] = Field(
        default_factory=list,
        description="phrases added to the shipped default list; matched ignoring spaces, punctuation and width",
    )
    on_violation: Literal["block", "mask", "flag"] = Field(
        "block", description="block: reply.rejected to the agent; mask: masked and delivered; flag: delivered and recorded"
    )
    check_pii: bool = Field(True, description="reject personal data the customer did not give in this conversation")
    check_repeat: bool = Field(True, description="reject a copy-paste repeat of the agent's previous reply")
    repeat_min_chars: int = Field(
        8, ge=1, description="shorter replies may repeat (\u201c好的\u201d, \u201c在的亲\u201d are not copy-paste)"
    )
    allowed_pii: list[str] = Field(
        default_factory=list,
        description="the shop's own details agents may send (return address, after-sales mobile, service e-mail)",
    )
