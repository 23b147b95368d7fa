"""``python -m gateway analyze [--context]`` (protocol-v1 §5): JSON lines in, one JSON line out per input.

It runs the live pipeline's analysis code (escalation.analysis.Analyzer with the configured lexicons) and,
with ``--context``, replays the conversation so far through the same mood trend and escalation policy, so the
output is what the gateway would conclude at that message. A bad input line gets an error line, not a crash.
"""

from __future__ import annotations

import json
from typing import IO, Any

from escalation.analysis import Analyzer
from escalation.emotion import Turn
from escalation.policy import EscalationPolicy, replay, unanswered_wait
from gateway.config import GatewayConfig
from gateway.engines import build_analyzer


def run_analyze(config: GatewayConfig, stdin: IO[str], stdout: IO[str], with_context: bool) -> int:
    analyzer = build_analyzer(config)
    policy = EscalationPolicy(config.escalation)
    for line in stdin:
        if not line.strip():
            continue
        try:
            result = _analyze_line(analyzer, policy, json.loads(line), with_context)
        except (ValueError, TypeError, KeyError) as exc:
            result = {"error": {"code": "bad_input", "message": str(exc)[:200]}}
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def _analyze_line(analyzer: Analyzer, policy: EscalationPolicy, item: Any, with_context: bool) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise ValueError('each line must be a JSON object with a string "text"')
    context = _turns(item.get("context", [])) if with_context else []
    at = item.get("at")
    waited = unanswered_wait(context, at) if at is not None else None
    result = analyzer.analyze(item["text"], context, waited, item.get("order_id")).to_dict()
    if with_context:
        steps = list(replay(analyzer.emotion, policy, [*context, Turn("customer", item["text"], at)]))
        result["trend"] = steps[-1].trend.to_dict()
        decisions = [s.decision for s in steps if s.decision is not None]
        result["escalation"] = {"at_this_message": _decision(steps[-1].decision),
                                "reached": bool(decisions), "first": _decision(decisions[0] if decisions else None)}
    return result


def _turns(raw: Any) -> list[Turn]:
    if not isinstance(raw, list):
        raise ValueError('"context" must be a list of {"role", "text"} objects')
    turns = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError('each context item needs a string "text"')
        role = "customer" if item.get("role", "customer") == "customer" else "agent"
        turns.append(Turn(role, item["text"], item.get("at")))
    return turns


def _decision(decision) -> dict[str, Any] | None:
    return None if decision is None else {"reason": decision.reason, "evidence": list(decision.evidence)}
