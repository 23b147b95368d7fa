"""Speed and memory of the emotion engine, on one core.

    .venv/bin/python bench/emotion_speed.py [--rounds N]

Messages are the hand-written chat turns of tests/escalation/data (short, like real chat). Printed:
start-up time; CPU µs per message (median, p99, max) for emotion alone without context, for emotion with the
conversation so far (up to 10 earlier turns: repetition and canned-reply checks), and for the whole
analysis the gateway runs (emotion + intent + order id, escalation.analysis.Analyzer); the RSS of a fresh
process before and after building the engine. Targets: emotion ≤ 60 µs median, whole analysis ≤ 100 µs
median, p99 well under 1 ms, gateway ≤ 250 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from escalation.analysis import Analyzer  # noqa: E402
from escalation.emotion import EmotionEngine, Turn  # noqa: E402

DATA = ROOT / "tests" / "escalation" / "data"
_RSS_PROBE = """
import sys
sys.path.insert(0, {root!r})
def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
before = rss_mb()
from escalation.analysis import Analyzer
Analyzer().analyze("你们到底什么时候发货？？？")
print(f"{{before:.0f}} {{rss_mb():.0f}}")
"""


def chat_cases() -> list[tuple[str, tuple[Turn, ...]]]:
    """(text, context) of every calm turn and every customer turn of the hand-written conversations."""
    cases = []
    for line in (DATA / "calm_turns.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        cases.append((row["text"], tuple(Turn(t["role"], t["text"]) for t in row.get("context", ()))))
    for name in ("escalate_conversations.jsonl", "calm_conversations.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            turns = [Turn(t["role"], t["text"], t.get("at")) for t in json.loads(line)["turns"]]
            cases += [(t.text, tuple(turns[max(0, i - 10):i])) for i, t in enumerate(turns) if t.role == "customer"]
    return cases


def timings_us(call: Callable[[str, Sequence[Turn]], object], cases: list, rounds: int) -> list[float]:
    """Per-call CPU time of this thread in µs over ``rounds`` passes of the cases: on a shared machine, wall
    time would also count the slices other processes get (a p99 of milliseconds that is not ours)."""
    samples = []
    for _ in range(rounds):
        for text, context in cases:
            start = time.thread_time_ns()
            call(text, context)
            samples.append((time.thread_time_ns() - start) / 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[int(len(ordered) * 0.99)]
    print(f"{name:<38} median {statistics.median(ordered):6.1f} µs   p99 {p99:6.1f} µs   max {ordered[-1]:7.1f} µs"
          f"   ({len(ordered)} calls)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    start = time.perf_counter()
    engine = EmotionEngine()
    print(f"engine start-up (jieba dictionary, lexicons, naive Bayes): {time.perf_counter() - start:.2f} s")
    analyzer = Analyzer(emotion=engine)
    cases = chat_cases()
    bare = [(text, ()) for text, _ in cases]
    timings_us(engine.score, bare, 1)  # warm-up: first calls fill jieba's and Python's caches
    print(f"median message length {statistics.median(len(t) for t, _ in cases)} characters")
    report("emotion, no context", timings_us(engine.score, bare, args.rounds))
    report("emotion, with conversation context", timings_us(engine.score, cases, args.rounds))
    report("whole analysis (emotion+intent+order)", timings_us(analyzer.analyze, cases, args.rounds))
    probe = subprocess.run([sys.executable, "-c", _RSS_PROBE.format(root=str(ROOT))],
                           capture_output=True, text=True, check=True)
    before, after = probe.stdout.split()
    print(f"RSS of a fresh process: {before} MB at start, {after} MB with the analyzer loaded"
          f" (emotion engine + intent + order ids)")


if __name__ == "__main__":
    main()
