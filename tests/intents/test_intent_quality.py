"""Floors on the labelled chat turns (issue 6): precision >= 0.9 and recall >= 0.8 for every intent.

The figures come from bench/intent_quality.py, so the test and the published bench measure the same way.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from escalation.intent import INTENTS, IntentDetector

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
MAIN_SET = DATA / "intent_turns.jsonl"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_intent_quality", ROOT / "bench" / "intent_quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


bench = _bench()


def test_labelled_set_is_big_and_covers_every_intent() -> None:
    turns = bench.load_turns([MAIN_SET])
    assert len(turns) >= 300
    for name in INTENTS:
        assert sum(t.label == name for t in turns) >= 25, name
    assert sum(t.label is None for t in turns) >= 100
    assert sum(bool(t.context) for t in turns) >= 30
    assert {t.label for t in turns} <= {*INTENTS, None}
    assert {role for t in turns for role, _ in t.context} <= {"customer", "agent"}


@pytest.mark.parametrize("paths", [[MAIN_SET], sorted(DATA.glob("*.jsonl"))], ids=["main", "all"])
def test_precision_and_recall_floors(paths: list[Path]) -> None:
    scores, _ = bench.score(IntentDetector(), bench.load_turns(paths))
    for name, score in scores.items():
        assert score.precision >= 0.9, f"{name} precision {score.precision:.3f}"
        assert score.recall >= 0.8, f"{name} recall {score.recall:.3f}"


def test_the_floors_can_fail() -> None:
    """A detector that says refund_return to everything must fail the floors."""
    scores, _ = bench.score(_AlwaysRefund(), bench.load_turns([MAIN_SET]))
    assert scores["refund_return"].precision < 0.9
    assert scores["stock"].recall < 0.8


class _AlwaysRefund:
    def detect(self, text: str, context: object = ()) -> object:
        return type("Found", (), {"label": "refund_return"})()
