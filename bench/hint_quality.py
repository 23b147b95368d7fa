"""Hint quality on the labelled customer questions: top-1, top-3, and wrong hints on off-topic chatter.

    .venv/bin/python bench/hint_quality.py [--split dev|holdout|all] [--intent] [--sweep] [--baseline] [--misses]

The questions (tests/scripts_lib/data/hint_questions.jsonl) were written apart from the library's phrasings,
in chat style; `dev` is the part the matcher was tuned on, `holdout` was written after tuning (its first
figures are in the integration notes; the floor was then recalibrated on all of it).
`--intent` also passes the intent a perfect detector would report (from the expected entry's category), to
show what the intent boost adds; `--sweep` prints the figures for a range of floors (how DEFAULT_MIN_SCORE
was chosen); `--baseline` shows plain rapidfuzz (best phrasing by character similarity) on the same questions,
the approach the matcher replaces; `--misses` lists the questions answered wrongly.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts_lib.library import Library  # noqa: E402
from scripts_lib.matcher import DEFAULT_INTENT_CATEGORIES, Matcher, normalise  # noqa: E402

QUESTIONS = ROOT / "tests" / "scripts_lib" / "data" / "hint_questions.jsonl"


@dataclass(frozen=True)
class Quality:
    questions: int
    off_topic: int
    top1: float
    top3: float
    no_hint: float  # on-topic questions left without any hint
    off_topic_wrong: float  # off-topic messages that got a hint


def load_questions(split: str = "all") -> list[dict]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if split == "all" or row["split"] == split]


def evaluate(matcher: Matcher | FuzzyBaseline, rows: list[dict], intents: dict[str, str] | None = None, misses: bool = False) -> Quality:
    """Figures for ``rows``; ``intents`` maps an entry id to the intent to pass when it is the expected one."""
    on_topic = [row for row in rows if row["accept"]]
    off_topic = [row for row in rows if not row["accept"]]
    top1 = top3 = empty = 0
    for row in on_topic:
        found = [s.script_id for s in matcher.match(row["text"], intent=(intents or {}).get(row["accept"][0]))]
        top1 += bool(found) and found[0] in row["accept"]
        top3 += any(script_id in row["accept"] for script_id in found[:3])
        empty += not found
        if misses and not set(found) & set(row["accept"]):
            print(f"  miss  {row['text']!r}: got {found}, want {row['accept']}")
    wrong = 0
    for row in off_topic:
        found = [s.script_id for s in matcher.match(row["text"])]
        wrong += bool(found)
        if misses and found:
            print(f"  wrong {row['text']!r}: got {found}")
    count = max(len(on_topic), 1)
    return Quality(len(on_topic), len(off_topic), top1 / count, top3 / count, empty / count,
                   wrong / max(len(off_topic), 1))


def ideal_intents(library: Library) -> dict[str, str]:
    """Entry id -> the intent whose categories include the entry's, as a perfect intent detector would say."""
    by_category = {category: intent for intent, categories in DEFAULT_INTENT_CATEGORIES.items() for category in categories}
    return {script.id: by_category[script.category] for script in library if script.category in by_category}


class FuzzyBaseline:
    """Plain rapidfuzz: entries ranked by their most similar phrasing (fuzz.ratio on the filler-free text)."""

    def __init__(self, library: Library, min_score: float) -> None:
        self.min_score = min_score
        self._choices = [(normalise(p).replace(" ", ""), script.id) for script in library for p in script.phrasings]

    def match(self, text: str, intent: str | None = None) -> list[SimpleNamespace]:
        query = normalise(text).replace(" ", "")
        found = process.extract(query, [c for c, _ in self._choices], scorer=fuzz.ratio, limit=30,
                                score_cutoff=self.min_score * 100)
        ids = list(dict.fromkeys(self._choices[index][1] for _choice, _score, index in found))
        return [SimpleNamespace(script_id=script_id) for script_id in ids[:3]] if query else []


def report(label: str, quality: Quality) -> None:
    print(f"{label:<22} top-1 {quality.top1:6.1%}  top-3 {quality.top3:6.1%}  no hint {quality.no_hint:6.1%}"
          f"  off-topic wrong {quality.off_topic_wrong:5.1%}  ({quality.questions} questions,"
          f" {quality.off_topic} off-topic)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="all", choices=["dev", "holdout", "all"])
    parser.add_argument("--intent", action="store_true")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    library, rows = Library.load(), load_questions(args.split)
    Matcher(Library([]))  # loads jieba's dictionary, so the build time below is the index alone
    started = time.perf_counter()
    matcher = Matcher(library)
    print(f"library: {len(library)} entries, index built in {time.perf_counter() - started:.2f} s")
    if args.baseline:
        for floor in (0.5, 0.6, 0.7, 0.8):
            report(f"rapidfuzz only {floor:.1f}", evaluate(FuzzyBaseline(library, floor), rows))
        return
    if args.sweep:
        for floor in [x / 100 for x in range(22, 50, 3)]:
            report(f"min_score {floor:.2f}", evaluate(Matcher(library, min_score=floor), rows))
        return
    report(f"{args.split}, text only", evaluate(matcher, rows, misses=args.misses))
    if args.intent:
        report(f"{args.split}, ideal intent", evaluate(matcher, rows, intents=ideal_intents(library)))


if __name__ == "__main__":
    main()
