"""The matcher remembers the ranking of each message it has seen: what it returns must not change, for any agent,
intent or mood, and a rebuilt matcher (a library reload) must not answer from the old library."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import pytest

from scripts_lib.library import Library, Script
from scripts_lib.matcher import Matcher

QUESTIONS = Path(__file__).parent / "data" / "hint_questions.jsonl"
VALUES = {"customer_name": "小王", "order_id": "PDD2026112300001", "agent_name": "小李"}


def texts() -> list[str]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row["text"] for row in rows][:60] + ["在吗", "好的", "", "？？？"]


def shape(suggestions) -> list[tuple]:
    return [(s.script_id, s.text, s.score, s.category, s.kind) for s in suggestions]


@pytest.fixture(scope="module")
def personal_library(library: Library) -> Library:
    return library.with_personal([
        Script(id="ps-a1", category="物流查询", phrasings=("我的快递到哪了",), text="{agent_name}马上帮您查", owner="a1"),
        Script(id="ps-a2", category="退换货", phrasings=("我要退货",), text="好的亲，这就处理", owner="a2"),
    ])


def test_cached_rankings_equal_fresh_ones(personal_library: Library) -> None:
    fresh, cached = Matcher(personal_library, cache_size=0), Matcher(personal_library)
    intents, agents = (None, "logistics_delay", "refund_return"), (None, "a1", "a2", "a9")
    cases = itertools.product(texts(), intents, (False, True), agents)
    for text, intent, angry, agent in cases:
        options = {"intent": intent, "angry": angry, "agent_id": agent, "values": VALUES, "limit": 5}
        expected = shape(fresh.match(text, **options))
        assert shape(cached.match(text, **options)) == expected, (text, options)
        assert shape(cached.match(text, **options)) == expected, (text, options)   # now from the cache


def test_personal_scripts_stay_with_their_owner_once_cached(personal_library: Library) -> None:
    matcher = Matcher(personal_library)
    assert "ps-a1" not in {s.script_id for s in matcher.match("我的快递到哪了", agent_id="a2", limit=10)}
    assert "ps-a1" in {s.script_id for s in matcher.match("我的快递到哪了", agent_id="a1", limit=10)}
    assert "ps-a1" not in {s.script_id for s in matcher.match("我的快递到哪了", agent_id=None, limit=10)}
    assert "ps-a1" not in {s.script_id for s in matcher.match("我的快递到哪了", agent_id="a9", limit=10)}


def test_each_call_renders_its_own_values(matcher: Matcher) -> None:
    first = matcher.match("我的退款怎么还没到账", values={"customer_name": "小王", "order_id": "PDD1"})
    second = matcher.match("我的退款怎么还没到账", values={"customer_name": "小张", "order_id": "PDD2"})
    assert [s.script_id for s in first] == [s.script_id for s in second]
    assert any("PDD2" in s.text or "小张" in s.text for s in second)
    assert not any("PDD1" in s.text or "小王" in s.text for s in second)


def test_a_rebuilt_matcher_answers_from_the_new_library(library: Library, matcher: Matcher) -> None:
    best = matcher.match("我的快递到哪了")[0]
    edited = Library(replace(s, text="新的回复") if s.id == best.script_id else s for s in library)
    assert matcher.match("我的快递到哪了")[0].text == best.text
    assert Matcher(edited).match("我的快递到哪了")[0].text == "新的回复"


def test_a_small_cache_still_answers_correctly(library: Library) -> None:
    fresh, tiny = Matcher(library, cache_size=0), Matcher(library, cache_size=2)
    for text in texts() * 2:
        assert shape(tiny.match(text)) == shape(fresh.match(text)), text
