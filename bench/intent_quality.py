"""Per-intent precision and recall of the intent detector on labelled chat turns, and its speed.

    .venv/bin/python bench/intent_quality.py [tests/intents/data/intent_turns.jsonl ...] [--errors]

Each JSONL line is {"text", "context": [[role, text], ...], "label": intent or null}. Speed is measured
on cold detectors (every text seen once), because the live pipeline never scores the same message twice.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from escalation.intent import INTENTS, IntentDetector  # noqa: E402

DEFAULT_SET = Path(__file__).resolve().parents[1] / "tests" / "intents" / "data" / "intent_turns.jsonl"
_TIMING_ROUNDS = 20


@dataclass(frozen=True, slots=True)
class Turn:
    text: str
    context: tuple[tuple[str, str], ...]
    label: str | None


@dataclass(slots=True)
class Score:
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0

    @property
    def precision(self) -> float:
        found = self.true_pos + self.false_pos
        return self.true_pos / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_pos + self.false_neg
        return self.true_pos / wanted if wanted else 1.0


def load_turns(paths: Iterable[Path]) -> list[Turn]:
    turns = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                context = tuple((role, said) for role, said in row.get("context", ()))
                turns.append(Turn(row["text"], context, row["label"]))
    return turns


def score(detector: IntentDetector, turns: Iterable[Turn]) -> tuple[dict[str, Score], list[tuple[Turn, str | None]]]:
    """Scores per intent, and the turns the detector got wrong with what it said."""
    scores = {name: Score() for name in INTENTS}
    errors = []
    for turn in turns:
        got = detector.detect(turn.text, turn.context).label
        if got == turn.label:
            if got is not None:
                scores[got].true_pos += 1
            continue
        errors.append((turn, got))
        if got is not None:
            scores[got].false_pos += 1
        if turn.label is not None:
            scores[turn.label].false_neg += 1
    return scores, errors


def time_detect(turns: list[Turn]) -> tuple[float, float]:
    """Median and p99 microseconds per detect() on short turns, each text new to its detector."""
    samples = []
    short = [t for t in turns if len(t.text) <= 20]
    for _ in range(_TIMING_ROUNDS):
        detector = IntentDetector()
        for turn in short:
            start = time.perf_counter_ns()
            detector.detect(turn.text, turn.context)
            samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99)]


def report(scores: dict[str, Score], total: int, errors: int) -> None:
    print(f"{'intent':<16} {'support':>7} {'precision':>9} {'recall':>6}")
    for name, s in scores.items():
        print(f"{name:<16} {s.true_pos + s.false_neg:>7} {s.precision:>9.3f} {s.recall:>6.3f}")
    micro = Score(*(sum(getattr(s, f) for s in scores.values()) for f in ("true_pos", "false_pos", "false_neg")))
    print(f"{'all intents':<16} {'':>7} {micro.precision:>9.3f} {micro.recall:>6.3f}")
    print(f"turn accuracy (null included): {1 - errors / total:.3f} on {total} turns")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_SET])
    parser.add_argument("--errors", action="store_true", help="list the turns the detector got wrong")
    args = parser.parse_args()
    turns = load_turns(args.paths)
    scores, errors = score(IntentDetector(), turns)
    report(scores, len(turns), len(errors))
    median, p99 = time_detect(turns)
    print(f"detect(): median {median:.1f} µs, p99 {p99:.1f} µs per short turn (cold, one core)")
    if args.errors:
        for turn, got in errors:
            print(f"  want {turn.label!s:<16} got {got!s:<16} {turn.text}  {list(turn.context) or ''}")


if __name__ == "__main__":
    main()
