"""One analysis of a customer message: emotion, intent and order id. The live pipeline (handlers.analysis) and
``python -m gateway analyze`` both call :meth:`Analyzer.analyze`, so what is evaluated offline is exactly what
runs on live messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from escalation.emotion import Emotion, EmotionEngine, Turn
from escalation.intent import Intent, IntentDetector
from escalation.orders import OrderIdFinder

CONTEXT_TURNS = 12
"""Earlier turns the analysis looks at, live and offline alike."""


@dataclass(frozen=True, slots=True)
class Analysis:
    emotion: Emotion
    intent: Intent
    order_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"emotion": self.emotion.to_dict(), "intent": self.intent.to_dict(), "order_id": self.order_id}


class Analyzer:
    def __init__(self, emotion: EmotionEngine | None = None, intents: IntentDetector | None = None,
                 orders: OrderIdFinder | None = None) -> None:
        self.emotion = emotion or EmotionEngine()
        self.intents = intents or IntentDetector()
        self.orders = orders or OrderIdFinder()
        self._order_in = lru_cache(maxsize=4096)(self.orders.find)   # pure per text, and texts recur

    def analyze(self, text: str, context: Sequence[Turn] = (), waited_s: float | None = None,
                order_id: str | None = None) -> Analysis:
        """``context`` is the conversation before ``text``, oldest first; ``order_id`` the one the storefront
        sent with the message, if any (it wins over one found in the text)."""
        context = context[-CONTEXT_TURNS:]
        emotion = self.emotion.score(text, context, waited_s)
        intent = self.intents.detect(text, [(t.role, t.text) for t in context])
        return Analysis(emotion, intent, order_id or self._order_in(text))
