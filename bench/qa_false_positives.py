"""False positives and recall of the agent-reply checks, and what they cost.

    .venv/bin/python bench/qa_false_positives.py

Runs ``ReplyChecker`` over the labelled sets in ``tests/qa/data`` (ordinary replies that must pass, bad
replies with the violation codes they must raise) and prints: blocks on the ordinary set (target 0), recall
on the bad set, µs per check, and µs per ``mask_pii`` on log lines with and without personal data.
The tests import the loaders and scorers from here so the floors they assert are the figures printed.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gateway.pii import mask_pii
from handlers.qa_config import QAConfig
from handlers.reply_rules import ReplyChecker, Violation

DATA = Path(__file__).resolve().parent.parent / "tests" / "qa" / "data"

SHOP_CONFIG = QAConfig(allowed_pii=["浙江省杭州市余杭区文一西路969号 售后部", "13700001111"])
"""What a shop would put in ``qa.allowed_pii``: its return address and after-sales mobile."""

LOG_LINE_ASCII = "2026-11-23 08:00:01,123 INFO gateway.routing cv_8f3a2c assigned to a1 (load_balance) queue=0 3.2ms"
LOG_LINE_PLAIN = (
    "2026-11-23 08:00:01,123 INFO gateway.dispatcher customer.message cv_8f3a2c u-42 shop-1 "
    "text='我的快递三天没动了，什么时候能到啊' order=PDD2026112300001 assigned=a1 reason=load_balance 3.2ms"
)
LOG_LINE_PII = (
    "2026-11-23 08:00:01,123 INFO gateway.dispatcher customer.message cv_8f3a2c u-42 shop-1 "
    "text='电话13812345678，地址改成深圳市南山区科技园路18号' order=PDD2026112300001 assigned=a1 3.2ms"
)


@dataclass(frozen=True)
class Case:
    reply: str
    customer_texts: tuple[str, ...] = ()
    order_id: str | None = None
    previous_reply: str | None = None
    codes: frozenset[str] = frozenset()


def load_ok(path: Path = DATA / "agent_replies_ok.txt") -> list[Case]:
    """One reply a line, optionally a tab and a JSON context; # lines and blank lines are skipped."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            reply, _, context = line.partition("\t")
            cases.append(_case(reply, json.loads(context) if context else {}))
    return cases


def load_bad(path: Path = DATA / "agent_replies_bad.jsonl") -> list[Case]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [_case(record["reply"], record) for record in records]


def _case(reply: str, context: dict) -> Case:
    return Case(
        reply=reply,
        customer_texts=tuple(context.get("customer", ())),
        order_id=context.get("order_id"),
        previous_reply=context.get("previous"),
        codes=frozenset(context.get("codes", ())),
    )


def check(checker: ReplyChecker, case: Case) -> list[Violation]:
    return checker.check(
        case.reply, customer_texts=case.customer_texts, order_id=case.order_id, previous_reply=case.previous_reply
    )


def false_positives(checker: ReplyChecker, cases: Sequence[Case]) -> list[tuple[Case, list[Violation]]]:
    """Ordinary replies that would have been blocked, with what blocked them."""
    return [(case, found) for case in cases if (found := check(checker, case))]


def misses(checker: ReplyChecker, cases: Sequence[Case]) -> list[tuple[Case, set[str]]]:
    """Bad replies for which at least one expected code was not raised, with the codes that were."""
    results = ((case, {v.code for v in check(checker, case)}) for case in cases)
    return [(case, codes) for case, codes in results if not case.codes <= codes]


def microseconds_per_call(call: Callable[[], object], calls: int, rounds: int = 5) -> float:
    """CPU time of this process, best of ``rounds``: the figure least disturbed by other work on a shared machine."""
    timings = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            call()
        timings.append((time.process_time() - started) / calls * 1e6)
    return min(timings)


def _time_checks(checker: ReplyChecker, cases: Sequence[Case]) -> float:
    def one_pass() -> None:
        for case in cases:
            check(checker, case)

    return microseconds_per_call(one_pass, 20) / len(cases)


def main() -> int:
    checker = ReplyChecker(SHOP_CONFIG)
    ok, bad = load_ok(), load_bad()
    blocked, missed = false_positives(checker, ok), misses(checker, bad)
    for case, found in blocked:
        print(f"FALSE POSITIVE  {case.reply}\n    {[v.to_dict() for v in found]}")
    for case, codes in missed:
        print(f"MISSED          {case.reply}\n    expected {sorted(case.codes)}, got {sorted(codes)}")
    print(f"ordinary replies: {len(ok)}, blocked: {len(blocked)} (target 0)")
    print(f"bad replies: {len(bad)}, recall: {(len(bad) - len(missed)) / len(bad):.1%}")
    print(f"check: {_time_checks(checker, ok):.1f} µs per ordinary reply, {_time_checks(checker, bad):.1f} µs per bad one")
    for label, line in (("ASCII log line", LOG_LINE_ASCII), ("log line with customer text, no PII", LOG_LINE_PLAIN),
                        ("log line with PII", LOG_LINE_PII)):
        print(f"mask_pii: {microseconds_per_call(lambda line=line: mask_pii(line), 20000):.2f} µs per {label}")
    print(f"  {mask_pii(LOG_LINE_PII)}")
    median_len = statistics.median(len(case.reply) for case in ok)
    print(f"(median ordinary reply: {median_len:.0f} characters)")
    return 1 if blocked else 0


if __name__ == "__main__":
    sys.exit(main())
