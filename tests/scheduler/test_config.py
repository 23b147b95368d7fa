"""WatchdogConfig: config-v1's `watchdog:` keys, validated strictly, errors naming the key."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from pydantic import ValidationError

from scheduler.config import WatchdogConfig

OFFICE = ["09:00-18:00"]
CONFIG_V1_EXAMPLE = """
first_response:
  - {after: 30s,  action: nudge_agent}
  - {after: 60s,  action: alert_supervisor}
  - {after: 180s, action: reassign}
  - {after: 270s, action: auto_reply, text: "亲，客服正在为您查询，请稍候～"}
reply:
  - {after: 60s,  action: nudge_agent}
  - {after: 180s, action: alert_supervisor}
idle_close: 10m
"""


def refusal(data: dict) -> tuple[tuple[str | int, ...], str]:
    """The location and message of the single error ``data`` is refused with."""
    with pytest.raises(ValidationError) as refused:
        WatchdogConfig.model_validate(data)
    [error] = refused.value.errors()
    return error["loc"], error["msg"]


def test_the_defaults_are_config_v1s_example() -> None:
    assert WatchdogConfig.model_validate(yaml.safe_load(CONFIG_V1_EXAMPLE)) == WatchdogConfig()


def test_the_added_keys_have_their_defaults() -> None:
    config = WatchdogConfig()

    assert (config.idle_close, config.disconnect_grace, config.business_hours) == (600, 60, None)
    assert (config.at_risk.red_line, config.at_risk.warn_margin) == (0.8, 0.05)


def test_stages_out_of_order_are_refused() -> None:
    loc, msg = refusal({"reply": [{"after": "3m", "action": "nudge_agent"},
                                  {"after": "1m", "action": "alert_supervisor"}]})

    assert loc == ("reply",)
    assert "increasing `after` order" in msg


@pytest.mark.parametrize(
    ("stage", "loc"),
    [
        ({"after": "270s", "action": "auto_reply"}, ("first_response", 0)),
        ({"after": "30s", "action": "page_the_ceo"}, ("first_response", 0, "action")),
        ({"after": "soon", "action": "nudge_agent"}, ("first_response", 0, "after")),
        ({"after": "30s", "action": "nudge_agent", "txt": "typo"}, ("first_response", 0, "txt")),
    ],
)
def test_a_bad_stage_is_refused_by_its_key(stage: dict, loc: tuple) -> None:
    assert refusal({"first_response": [stage]})[0] == loc


def test_unknown_keys_are_refused() -> None:
    assert refusal({"idle_closed": "5m"})[0] == ("idle_closed",)


def test_business_hours_parse_intervals_holidays_and_timezone() -> None:
    hours = WatchdogConfig.model_validate(yaml.safe_load("""
business_hours:
  timezone: Europe/Berlin
  mon: ["13:30-18:00", "09:00-12:00"]
  sat: ["20:00-24:00"]
  holidays: [2025-10-01, "2025-10-02"]
  off_hours_reply: 下班啦
""")).business_hours

    assert hours.timezone == "Europe/Berlin"
    assert hours.hours_on(0) == ((9 * 3600, 12 * 3600), (13 * 3600 + 1800, 18 * 3600))
    assert hours.hours_on(5) == ((20 * 3600, 24 * 3600),)
    assert hours.hours_on(1) == ()
    assert hours.holidays == (date(2025, 10, 1), date(2025, 10, 2))
    assert hours.off_hours_reply == "下班啦"


@pytest.mark.parametrize(
    ("business_hours", "loc", "words"),
    [
        ({"mon": ["18:00-09:00"]}, ("business_hours", "mon", 0), "split a night shift"),
        ({"mon": ["09:00-24:30"]}, ("business_hours", "mon", 0), "time of day"),
        ({"mon": ["9-18"]}, ("business_hours", "mon", 0), "09:00-18:00"),
        ({"mon": ["09:00-12:00", "11:00-18:00"]}, ("business_hours", "mon"), "overlap"),
        ({"mon": OFFICE, "timezone": "Asia/Beijing"}, ("business_hours", "timezone"), "Asia/Shanghai"),
        ({"holidays": ["2025-10-01"]}, ("business_hours",), "opens on no weekday"),
        ({"monday": ["09:00-18:00"]}, ("business_hours", "monday"), "Extra inputs"),
    ],
)
def test_bad_business_hours_are_refused_by_their_key(business_hours: dict, loc: tuple, words: str) -> None:
    refused_loc, msg = refusal({"business_hours": business_hours})

    assert refused_loc == loc
    assert words in msg


def test_the_red_line_is_a_rate() -> None:
    assert refusal({"at_risk": {"red_line": 80}})[0] == ("at_risk", "red_line")
