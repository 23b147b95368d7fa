"""One emotion engine for the whole session: building it loads jieba's dictionary (~1 s)."""

from __future__ import annotations

import pytest

from escalation.emotion import EmotionEngine


@pytest.fixture(scope="session")
def engine() -> EmotionEngine:
    return EmotionEngine()
