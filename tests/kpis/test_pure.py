"""The pure parts: percentiles, who had a chat when, score normalisation and profiles, the QA review rules, order
merging, day cutting and the ``kpis:`` config. Every expected value is worked out in the test's docstring."""

import pytest
from pydantic import ValidationError

from gateway.errors import ProtocolError
from kpis.collect import day_segments, open_windows
from kpis.config import KpisConfig
from kpis.metrics import Holders, percentile, split_wait
from kpis.orders import OrderIn, merge
from kpis.quality import Facts, Said, review, survey_reasons
from kpis.scores import NORMALISERS, Normaliser, profile_of, score
from scheduler.business_hours import BusinessCalendar
from scheduler.config import BusinessHoursConfig

T = 1_767_196_800.0          # Thursday 2026-01-01 00:00 Asia/Shanghai


def test_percentiles_interpolate_between_ranks():
    """[10, 20, 40, 170]: p50 = (20 + 40) / 2 = 30; p90 at rank 2.7 = 40 + 0.7 * 130 = 131."""
    assert percentile([170, 10, 40, 20], 0.5) == 30.0
    assert percentile([170, 10, 40, 20], 0.9) == pytest.approx(131.0)
    assert percentile([7.0], 0.9) == 7.0 and percentile([], 0.5) is None


def test_holders_hand_over_at_the_instant():
    """a1 at 0, a2 at 100: just before 100 it is a1's, from 100 on a2's; a2 got it at 100."""
    holders = Holders([(0.0, "a1"), (100.0, "a2")], "a9")
    assert (holders.before(100.0), holders.before(100.5), holders.before(-5)) == ("a1", "a2", "a1")
    assert holders.received("a2", 400.0) == 100.0 and holders.received("a1", 400.0) == 0.0
    assert Holders([], "a9").before(10) == "a9"


def test_a_wait_still_open_is_charged_to_whoever_has_it():
    """Waiting since 0, a1 then a2 from 60, now 200: the 30-s miss is a1's; 3 min not decided yet (200 > 180?
    yes: decided, a miss, a2's); the wait itself (still waiting) is a2's."""
    period = {"kind": "first_response", "outcome": "waiting", "started_at": T, "answered_at": None,
              "waited_s": None, "agent_id": "a1", "group": "g", "shop_id": "s"}
    cells = split_wait(period, Holders([(T, "a1"), (T + 60, "a2")], "a1"), BusinessCalendar(None), T + 200)
    a1, a2 = cells[("a1", "g", "s")].counts, cells[("a2", "g", "s")].counts
    assert (a1["decided:response_rate_30s"], a1["hits:response_rate_30s"], a1["waits"]) == (1, 0, 0)
    assert (a2["decided:reply_rate_3m"], a2["decided:reply_rate_5m"], a2["waits"], a2["waiting"]) == (1, 0, 1, 1)


def test_normalisers_clamp_both_ways():
    """response_speed: 120 s -> 0, 10 s -> 100, 65 s -> 50; complaint_rate: 0.1 -> 0, 0 -> 100, 0.05 -> 50."""
    speed, complaints = NORMALISERS["response_speed"], NORMALISERS["complaint_rate"]
    assert (speed.points(120), speed.points(10), speed.points(65), speed.points(500), speed.points(1)) == (
        0.0, 100.0, 50.0, 0.0, 100.0)
    assert (complaints.points(0.1), complaints.points(0.0), complaints.points(0.05)) == (0.0, 100.0, 50.0)
    assert Normaliser(0.0, 0.5, "").points(0.25) == 50.0


def test_profiles_by_group_and_missing_metrics():
    """presales weights speed 30, conversion 40, good reviews 30. With speed 65 s (50 points), conversion 0.25
    (50 points) and no surveys: (50*30 + 50*40) / 70 = 50, coverage 70%. An after-sales agent gets the
    after-sales profile; an agent of another group the default; nothing measured: no score."""
    config = KpisConfig()
    assert profile_of(["vip", "aftersales"], config)[0] == "aftersales"
    assert profile_of(["other"], config)[0] == "default"
    result = score({"response_speed": 65.0, "conversion": 0.25, "good_reviews": None}, ["presales"], config)
    assert (result.value, result.profile, result.coverage, result.missing) == (50.0, "presales", 0.7,
                                                                                ("good_reviews",))
    assert score({}, ["presales"], config).value is None


def test_bounds_can_be_overridden():
    """Bounds speed worst 60, best 0: 30 s -> 50 points (instead of 81.8)."""
    config = KpisConfig.model_validate({"bounds": {"response_speed": {"worst": 60, "best": 0}},
                                        "default_weights": {"response_speed": 1}})
    assert score({"response_speed": 30.0}, [], config).value == 50.0


@pytest.mark.parametrize("raw, message", [
    ({"profiles": {"x": {"groups": ["a"], "weights": {"speed": 1}}}}, "unknown metric"),
    ({"profiles": {"x": {"groups": ["a"], "weights": {"conversion": 0}}}}, "positive"),
    ({"default_weights": {}}, "at least one"),
    ({"bounds": {"conversion": {"worst": 1, "best": 1}}}, "differ"),
    ({"duration": {"too_short": "10m", "too_long": "5m"}}, "shorter"),
    ({"timezone": "Mars/Olympus"}, "unknown timezone"),
    ({"repeat_window": "soon"}, "not a duration"),
    ({"surprise": 1}, "Extra inputs"),
])
def test_config_is_refused_with_the_key(raw, message):
    with pytest.raises(ValidationError, match=message):
        KpisConfig.model_validate(raw)


def _said(text, label, score=0.0, anger=0.0, trigger=None, after=True):
    return Said(text, T, label, score, anger, trigger, after)


def _facts(**overrides):
    conversation = {"id": "cv", "storefront_id": "sf", "shop_id": "s", "group": "g", "customer_id": "u",
                    "agent_id": "a1", "opened_at": T, "closed_at": T + 300, "closed_by": "a1", "resolved": True}
    facts = dict(conversation=conversation, said=[_said("在吗", "neutral", after=False)], trend={},
                 waits=[{"kind": "first_response", "outcome": "answered", "waited_s": 20.0}], transfers=0,
                 escalations=[], violations=[], tickets=0, messages={"customer": 1, "agent": 1},
                 repeat_inquiry=False, survey="sent")
    return Facts(**{**facts, **overrides})


def _limits():
    return KpisConfig().review


def codes(row):
    return [(r["flag"], r["code"]) for r in row["reasons"]]


def test_a_plain_solved_chat_is_excellent():
    """Closed resolved by its only agent, no transfer, no escalation, not a repeat: solved on first contact."""
    row = review(_facts(), _limits())
    assert codes(row) == [("excellent", "solved_on_first_contact")]
    assert (row["first_response_s"], row["duration_s"], row["problem"], row["excellent"]) == (20.0, 300.0, False, True)


def test_a_repeat_inquiry_is_not_first_contact_and_a_transfer_neither():
    assert codes(review(_facts(repeat_inquiry=True), _limits())) == []
    assert codes(review(_facts(transfers=1), _limits())) == []


def test_problems_with_reasons():
    """Two negative messages (limit 2), a 61-s first response (limit 60), a 200-s later wait (limit 180), a
    violation and a complaint: five problem reasons; no excellence (a problem chat is not 'solved')."""
    said = [_said("怎么还没到", "negative", -0.5), _said("太慢了", "negative", -0.4),
            _said("我要投诉", "angry", -0.9, 0.9, "complaint_channel")]
    waits = [{"kind": "first_response", "outcome": "answered", "waited_s": 61.0},
             {"kind": "reply", "outcome": "answered", "waited_s": 200.0}]
    row = review(_facts(said=said, waits=waits, violations=[{"code": "pii_leak"}]), _limits())
    assert codes(row) == [("problem", "repeatedly_dissatisfied"), ("problem", "slow_first_response"),
                          ("problem", "long_wait"), ("problem", "violations"), ("problem", "complaint")]
    assert row["complaint"] and row["longest_wait_s"] == 200.0 and row["mean_wait_s"] == 130.5


def test_left_unanswered_unless_the_customer_signed_off():
    """The close ended a 40-s wait: a problem, unless the last words were thanks ("好的谢谢" signs off); a wait
    longer than long_wait is a problem either way."""
    waits = [{"kind": "reply", "outcome": "closed", "waited_s": 40.0}]
    assert ("problem", "left_unanswered") in codes(review(_facts(waits=waits), _limits()))
    assert codes(review(_facts(waits=waits, signed_off=True), _limits())) == [("excellent", "solved_on_first_contact")]
    long = [{"kind": "reply", "outcome": "closed", "waited_s": 400.0}]
    assert ("problem", "left_unanswered") in codes(review(_facts(waits=long, signed_off=True), _limits()))


def test_praise_and_an_angry_customer_calmed():
    """Peak anger 0.9 (>= 0.7), smoothed anger 0.2 at the end (< 0.3), last words positive (0.8 >= 0.6 after an
    answer): praised and calmed down."""
    said = [_said("你们怎么回事", "angry", -0.8, 0.9, after=False), _said("太好了，非常感谢", "positive", 0.8)]
    row = review(_facts(said=said, trend={"peak": 0.9, "level": 0.2, "levels": [0.5, 0.2]}), _limits())
    assert codes(row) == [("excellent", "praised"), ("excellent", "calmed_down"),
                          ("excellent", "solved_on_first_contact")]
    assert row["emotion"]["levels"] == [0.5, 0.2] and row["emotion_peak"] == 0.9


def test_the_survey_answer_adds_its_reason():
    base = {"transfers": 0, "escalated": False}
    assert survey_reasons(base, {"status": "answered", "resolved": False, "rating": None, "answer": "2"})[0][
        "code"] == "survey_dissatisfied"
    assert survey_reasons(base, {"status": "answered", "resolved": True, "rating": 5, "answer": "5"})[0][
        "code"] == "survey_solved"
    assert survey_reasons({**base, "transfers": 2}, {"status": "answered", "resolved": True, "rating": None,
                                                     "answer": "1"}) == []
    assert survey_reasons(base, {"status": "unanswered", "resolved": False}) == []


def _order(**fields):
    return OrderIn.model_validate({"order_id": "o1", "customer_id": "u1", **fields})


def test_orders_merge_once_per_status():
    """placed at 10 -> row; placed again -> duplicate (None); paid at 20 -> status paid, placed_at kept;
    refunded at 30 -> refunded; another customer with the same order id -> conflict."""
    placed = merge(None, _order(amount="19.90"), "sf", 10.0, 10.0)
    assert (placed["id"], placed["status"], placed["amount_cents"], placed["placed_at"]) == (
        "sf:o1", "placed", 1990, 10.0)
    assert merge(placed, _order(), "sf", 11.0, 11.0) is None
    paid = merge(placed, _order(status="paid"), "sf", 20.0, 20.0)
    assert (paid["status"], paid["paid_at"], paid["placed_at"], paid["amount_cents"]) == ("paid", 20.0, 10.0, 1990)
    assert merge(paid, _order(status="refunded"), "sf", 30.0, 30.0)["status"] == "refunded"
    with pytest.raises(ProtocolError) as conflict:
        merge(paid, OrderIn.model_validate({"order_id": "o1", "customer_id": "u2"}), "sf", 40.0, 40.0)
    assert conflict.value.status == 409


@pytest.mark.parametrize("amount", ["1.234", -1, "abc", True, None])
def test_order_amounts_are_money(amount):
    with pytest.raises(ValidationError):
        _order(amount=amount)


def test_order_times_need_an_offset():
    assert _order(at="2026-01-01T08:00:00+08:00").time(0.0) == T + 8 * 3600
    with pytest.raises(ProtocolError):
        _order(at="2026-01-01T08:00:00").time(0.0)


def test_ranges_are_cut_at_local_midnight():
    """From Jan 1 05:00 to Jan 3 00:00 local: a partial Jan 1, a whole Jan 2."""
    assert day_segments(T + 5 * 3600, T + 2 * 86400, "Asia/Shanghai") == [
        (T + 5 * 3600, T + 86400, False), (T + 86400, T + 2 * 86400, True)]
    assert day_segments(T, T + 3600, "Asia/Shanghai") == [(T, T + 3600, False)]


def test_open_windows_skip_holidays_and_weekends():
    """Open 09:00-18:00 Thu and Fri, but Fri Jan 2 is a holiday: one window (Thu), the rest is closed."""
    hours = BusinessHoursConfig.model_validate({"thu": ["09:00-18:00"], "fri": ["09:00-18:00"],
                                                "holidays": ["2026-01-02"]})
    windows, gaps = open_windows(hours, T, T + 3 * 86400)
    assert [(w.lo - T, w.hi - T, w.end_limit - T) for w in windows] == [(32400, 64800, 64800)]
    assert [(a - T, b - T) for a, b in gaps] == [(0, 32400), (64800, 3 * 86400)]
