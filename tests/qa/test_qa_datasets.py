"""Floors on the labelled sets: no ordinary reply blocked, and the bad replies caught.

The loaders and scorers are bench/qa_false_positives.py's, so the floors asserted here are the figures it prints.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

from handlers.reply_rules import ReplyChecker

RECALL_FLOOR = 0.95


def _load_bench():
    """bench/ is not a package (and tests run with --import-mode=importlib): load the script by its path."""
    path = Path(__file__).resolve().parents[2] / "bench" / "qa_false_positives.py"
    spec = importlib.util.spec_from_file_location("bench_qa_false_positives", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


@pytest.fixture(scope="module")
def checker() -> ReplyChecker:
    return ReplyChecker(bench.SHOP_CONFIG)


def test_the_sets_are_big_enough_and_well_formed():
    ok, bad = bench.load_ok(), bench.load_bad()
    assert len(ok) >= 200 and len(bad) >= 60
    assert all(case.codes and case.codes <= {"banned_word", "pii_leak", "repeat"} for case in bad)
    assert len({case.reply for case in ok}) == len(ok)


def test_no_ordinary_reply_is_blocked(checker):
    blocked = bench.false_positives(checker, bench.load_ok())
    assert [(case.reply, [v.to_dict() for v in found]) for case, found in blocked] == []


def test_recall_on_bad_replies(checker):
    bad = bench.load_bad()
    missed = bench.misses(checker, bad)
    assert (len(bad) - len(missed)) / len(bad) >= RECALL_FLOOR, [case.reply for case, _ in missed]
