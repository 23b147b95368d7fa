"""The mood trend kept in the conversation state."""

from __future__ import annotations

import dataclasses
import json

import pytest

from escalation.emotion import Emotion, Trend


def emotion(anger: float) -> Emotion:
    return Emotion(score=-anger, anger=anger, label="neutral", evidence=(), hard_trigger=None)


def run(*angers: float) -> Trend:
    trend = Trend()
    for i, anger in enumerate(angers):
        trend = trend.update(emotion(anger), f"message {i}")
    return trend


def test_level_is_a_smoothed_anger_and_slope_its_last_change() -> None:
    first = Trend().update(emotion(0.8), "气死了")
    assert (first.level, first.slope, first.peak, first.count) == (0.4, 0.4, 0.8, 1)
    second = first.update(emotion(0.0), "好吧")
    assert (second.level, second.slope, second.peak, second.count) == (0.2, -0.2, 0.8, 2)
    assert second.levels == (0.4, 0.2)
    assert second.previous_level == 0.4


def test_update_is_pure() -> None:
    trend = Trend()
    trend.update(emotion(0.9), "垃圾")
    assert trend == Trend()
    with pytest.raises(dataclasses.FrozenInstanceError):
        trend.level = 1.0  # type: ignore[misc]


def test_levels_keep_the_last_eight_messages() -> None:
    trend = run(*[0.5] * 12)
    assert len(trend.levels) == 8 and trend.count == 12
    assert trend.levels[-1] == trend.level


def test_moved_by_keeps_the_five_angriest_in_conversation_order() -> None:
    trend = run(0.31, 0.9, 0.1, 0.5, 0.35, 0.8, 0.6, 0.32)
    assert trend.moved_by == (("message 1", 0.9), ("message 3", 0.5), ("message 4", 0.35),
                              ("message 5", 0.8), ("message 6", 0.6))


def test_moved_by_ignores_calm_messages_and_shortens_long_ones() -> None:
    trend = Trend().update(emotion(0.1), "好的").update(emotion(0.75), "啊" * 60)
    assert len(trend.moved_by) == 1
    snippet, anger = trend.moved_by[0]
    assert anger == 0.75 and len(snippet) == 40 and snippet.endswith("…")


def test_dict_round_trip_through_json() -> None:
    trend = run(0.2, 0.7, 0.9)
    data = json.loads(json.dumps(trend.to_dict()))
    assert set(data) == {"level", "slope", "peak", "count", "moved_by", "levels"}
    assert Trend.from_dict(data) == trend


def test_from_dict_fills_missing_keys() -> None:
    assert Trend.from_dict({}) == Trend()
    assert Trend.from_dict({"level": 0.3, "count": 2}) == Trend(level=0.3, count=2)
