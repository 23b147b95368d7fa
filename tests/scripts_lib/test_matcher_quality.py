"""Hint quality on the labelled chat questions (tests/scripts_lib/data/hint_questions.jsonl): the floor the
product promises — the right script in the top 3 for 90% of questions, a hint for at most 5% of chit-chat."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

QUESTIONS = Path(__file__).parent / "data" / "hint_questions.jsonl"


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_labelled_set_is_large_and_written_apart_from_the_phrasings(rows, library):
    on_topic = [row for row in rows if row["accept"]]
    assert len(on_topic) >= 300 and len(rows) - len(on_topic) >= 60
    phrasings = {phrasing for script in library for phrasing in script.phrasings}
    assert not [row["text"] for row in rows if row["text"] in phrasings]
    assert all(library.get(script_id) for row in on_topic for script_id in row["accept"])


def test_top3_accuracy_floor(rows, matcher):
    on_topic = [row for row in rows if row["accept"]]
    hits = sum(any(s.script_id in row["accept"] for s in matcher.match(row["text"])) for row in on_topic)
    assert hits / len(on_topic) >= 0.9


def test_off_topic_chatter_rarely_gets_a_hint(rows, matcher):
    off_topic = [row for row in rows if not row["accept"]]
    wrong = sum(bool(matcher.match(row["text"])) for row in off_topic)
    assert wrong / len(off_topic) <= 0.05
