"""The analysis remembers what a text says on its own (its reading, its order id, normalised agent turns): the
conversation around a recurring text must still count every time."""

from __future__ import annotations

import pytest

from escalation.analysis import Analyzer
from escalation.emotion import EmotionEngine, Turn


@pytest.fixture(scope="module")
def analyzer(engine: EmotionEngine) -> Analyzer:
    return Analyzer(engine)


def test_a_recurring_text_is_still_judged_in_its_conversation(engine: EmotionEngine) -> None:
    alone = engine.score("退款什么时候到账")
    again = engine.score("退款什么时候到账", [Turn("customer", "退款什么时候到账"), Turn("customer", "退款什么时候到账")])
    waited = engine.score("退款什么时候到账", waited_s=600)
    assert not any(e.startswith("signal:repeated_question") for e in alone.evidence)
    assert "signal:repeated_question_x3" in again.evidence and again.anger > alone.anger
    assert "signal:waited_600s" in waited.evidence
    assert engine.score("退款什么时候到账") == alone


def test_a_short_reply_takes_its_intent_from_the_agent_turn_before_it(analyzer: Analyzer) -> None:
    assert analyzer.analyze("是的").intent.label is None
    asked = [Turn("customer", "你好"), Turn("agent", "亲，是发错颜色了吗？")]
    assert analyzer.analyze("是的", asked).intent.label == "wrong_item"
    assert analyzer.analyze("是的").intent.label is None


def test_a_cued_phrase_still_waits_for_the_conversations_topic(analyzer: Analyzer) -> None:
    assert analyzer.analyze("还没到").intent.label is None
    topic = [Turn("customer", "你好"), Turn("agent", "亲，请问您的快递到了吗？")]
    assert analyzer.analyze("还没到", topic).intent.label == "logistics_delay"


def test_the_storefronts_order_id_wins_over_a_remembered_one(analyzer: Analyzer) -> None:
    text = "订单号 4021234567890123 还没发货"
    assert analyzer.analyze(text).order_id == "4021234567890123"
    assert analyzer.analyze(text, order_id="PDD2026112300001").order_id == "PDD2026112300001"
    assert analyzer.analyze(text).order_id == "4021234567890123"
