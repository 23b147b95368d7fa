"""The pure escalation decision and the chain of seniors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from escalation.config import EscalationConfig
from escalation.emotion import Emotion, Trend
from escalation.policy import EscalationPolicy

NOW = 1_767_225_600.0


def emotion(anger: float = 0.0, score: float | None = None, label: str | None = None,
            hard_trigger: str | None = None) -> Emotion:
    label = label or ("angry" if anger >= 0.7 else "neutral")
    return Emotion(-anger if score is None else score, anger, label, ("lexicon:test",), hard_trigger)


def history(*angers: float) -> Trend:
    trend = Trend()
    for anger in angers:
        trend = trend.update(emotion(anger), "…")
    return trend


@pytest.fixture
def policy() -> EscalationPolicy:
    return EscalationPolicy(EscalationConfig())


def decide(policy: EscalationPolicy, *angers: float, **kwargs):
    now = kwargs.pop("now", NOW)
    message = kwargs.pop("emotion", None) or emotion(angers[-1])
    return policy.decide(history(*angers), message, kwargs.pop("waited_s", None), kwargs.pop("escalated", False),
                         kwargs.pop("last_escalated_at", None), now)


def test_anger_threshold(policy: EscalationPolicy) -> None:
    assert decide(policy, 0.69) is None
    decision = decide(policy, 0.7)
    assert decision.reason == "anger_level"
    assert decision.evidence == ("anger:0.70>=0.70", "lexicon:test")


def test_threshold_is_configurable() -> None:
    strict = EscalationPolicy(EscalationConfig(anger_threshold=0.9, sustained_level=0.9))
    assert decide(strict, 0.85) is None
    assert decide(strict, 0.95).reason == "anger_level"


def test_sustained_annoyance_escalates_on_the_smoothed_level(policy: EscalationPolicy) -> None:
    assert decide(policy, 0.6, 0.6) is None
    decision = decide(policy, 0.6, 0.6, 0.6)
    assert decision.reason == "anger_level" and decision.evidence[0] == "level:0.53>=0.50"


def test_rising_trend(policy: EscalationPolicy) -> None:
    assert decide(policy, 0.0, 0.1, 0.55) is None  # rising, but still below rise_floor
    decision = decide(policy, 0.0, 0.1, 0.55, 0.66)  # no message angry, level 0.48 below sustained_level
    assert decision.reason == "rising_trend"
    assert decision.evidence[0] == "trend:0.05->0.48_over_3_messages"


def test_a_steady_level_is_not_a_rise(policy: EscalationPolicy) -> None:
    assert decide(policy, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45) is None


@pytest.mark.parametrize("trigger", ["abuse", "complaint_channel"])
def test_hard_triggers_escalate_whatever_the_anger(policy: EscalationPolicy, trigger: str) -> None:
    decision = decide(policy, 0.1, emotion=emotion(0.1, hard_trigger=trigger))
    assert decision.reason == "hard_trigger"
    assert decision.evidence[0] == f"hard_trigger:{trigger}"


def test_hard_triggers_can_be_switched_off() -> None:
    policy = EscalationPolicy(EscalationConfig(hard_triggers=["abuse"]))
    assert decide(policy, 0.1, emotion=emotion(0.1, hard_trigger="complaint_channel")) is None
    assert decide(policy, 0.1, emotion=emotion(0.1, hard_trigger="abuse")).reason == "hard_trigger"


def test_long_wait_with_negative_mood(policy: EscalationPolicy) -> None:
    negative = emotion(0.3, score=-0.5, label="negative")
    neutral = emotion(0.3, score=-0.1, label="neutral")
    decision = decide(policy, 0.3, emotion=negative, waited_s=400)
    assert decision.reason == "long_wait_negative"
    assert decision.evidence[:2] == ("waited:400s", "score:-0.50")
    assert decide(policy, 0.3, emotion=neutral, waited_s=400) is None
    assert decide(policy, 0.3, emotion=negative, waited_s=200) is None
    assert decide(policy, 0.3, emotion=negative, waited_s=None) is None


def test_nothing_while_escalated(policy: EscalationPolicy) -> None:
    assert decide(policy, 0.95, escalated=True) is None
    assert decide(policy, 0.1, emotion=emotion(0.1, hard_trigger="abuse"), escalated=True) is None


def test_cooldown(policy: EscalationPolicy) -> None:
    assert decide(policy, 0.1, 0.95, last_escalated_at=NOW - 599) is None
    assert decide(policy, 0.1, emotion=emotion(0.1, hard_trigger="abuse"), last_escalated_at=NOW - 599) is None
    assert decide(policy, 0.1, 0.95, last_escalated_at=NOW - 601).reason == "anger_level"


def test_hysteresis_needs_calm_before_a_new_outburst(policy: EscalationPolicy) -> None:
    after = NOW - 3600
    still_angry = decide(policy, 0.9, 0.8, 0.85, 0.9, last_escalated_at=after)
    calmed_then_exploded = decide(policy, 0.9, 0.8, 0.1, 0.0, 0.0, 0.9, last_escalated_at=after)
    assert still_angry is None
    assert calmed_then_exploded.reason == "anger_level"
    assert decide(policy, 0.9, 0.8, 0.85, 0.9).reason == "anger_level"  # never escalated: no hysteresis


def test_hysteresis_does_not_hold_back_hard_triggers(policy: EscalationPolicy) -> None:
    decision = decide(policy, 0.9, 0.9, emotion=emotion(0.9, hard_trigger="abuse"), last_escalated_at=NOW - 3600)
    assert decision.reason == "hard_trigger"


def test_senior_chain_prefers_the_least_loaded(policy: EscalationPolicy) -> None:
    seniors = [("s1", 2, 3), ("s2", 0, 3), ("s3", 1, 5), ("s4", 3, 3)]
    assert policy.senior_chain(seniors, ()) == "s2"
    assert policy.senior_chain(seniors, {"s2"}) == "s3"
    assert policy.senior_chain(seniors, {"s2", "s3"}) == "s1"
    assert policy.senior_chain(seniors, {"s1", "s2", "s3"}) is None  # s4 is full: the supervisors


def test_senior_chain_ties(policy: EscalationPolicy) -> None:
    assert policy.senior_chain([("b", 1, 3), ("a", 1, 3), ("c", 1, 6)], ()) == "c"
    assert policy.senior_chain([("b", 1, 3), ("a", 1, 3)], ()) == "a"
    assert policy.senior_chain([], ()) is None


def test_config_defaults_and_durations() -> None:
    config = EscalationConfig.model_validate({"accept_timeout": "45s", "cooldown": "15m", "long_wait": "4m"})
    assert (config.anger_threshold, config.accept_timeout, config.cooldown, config.long_wait) == (0.7, 45, 900, 240)
    assert config.mode == "transfer" and config.hard_triggers == ["complaint_channel", "abuse"]


@pytest.mark.parametrize("raw, key", [
    ({"angr_threshold": 0.5}, "angr_threshold"), ({"mode": "steal"}, "mode"), ({"cooldown": "soon"}, "cooldown"),
    ({"hard_triggers": ["rude"]}, "hard_triggers"), ({"anger_threshold": 1.5}, "anger_threshold"),
])
def test_config_refuses_bad_keys_and_values(raw: dict, key: str) -> None:
    with pytest.raises(ValidationError, match=key):
        EscalationConfig.model_validate(raw)


def test_config_refuses_release_above_threshold() -> None:
    with pytest.raises(ValidationError, match="release_threshold"):
        EscalationConfig(anger_threshold=0.6, release_threshold=0.65)
