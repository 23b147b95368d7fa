"""Customer intent detection: which after-sales problem a chat turn raises, if any.

Pure and synchronous (no I/O after construction) so the live pipeline, the analysis CLI, tickets and the
chatbot handoff all run the same code. Exact phrases from ``intent_rules.yaml`` with negation and
what-if windows are used rather than fuzzy matching: on 2-6 character Chinese phrases fuzzy scores
confuse "是正品" with "是不是正品" (see the shared data README), and a regex table stays well under the
40 µs per-message budget.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

INTENTS = (
    "logistics_delay",
    "address_change",
    "damaged_goods",
    "wrong_item",
    "missing_item",
    "stock",
    "refund_return",
)
DEFAULT_RULES = Path(__file__).with_name("intent_rules.yaml")

# Confidence by how the intent was found: the weaker the link to the customer's own words, the lower.
_PHRASE, _CUED, _TOPIC, _REPLY, _FOLLOW_UP = 0.9, 0.8, 0.7, 0.7, 0.6
_BONUS, _CEILING = 0.03, 0.97
_LOOKBACK = 12  # characters before a phrase searched for negation and what-ifs


@dataclass(frozen=True, slots=True)
class Intent:
    """The detected intent of one customer turn; ``label`` None means no ticket-worthy problem."""

    label: str | None
    confidence: float
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"label": self.label, "confidence": round(self.confidence, 3), "evidence": list(self.evidence)}


NO_INTENT = Intent(None, 0.0)


@dataclass(frozen=True, slots=True)
class _CuedGroup:
    """Phrases too ambiguous alone ("还没到", "缺货"): they count with a cue or the conversation's topic."""

    pattern: re.Pattern[str]
    cues: re.Pattern[str] | None
    topic: bool


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    priority: int
    hypothetical: bool
    phrases: re.Pattern[str]
    cued: tuple[_CuedGroup, ...]


@dataclass(frozen=True, slots=True)
class _Scan:
    """What one text says on its own: the best intent, and cued phrases still waiting for a topic."""

    best: Intent | None
    awaiting: tuple[tuple[str, str], ...]


def _alternation(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


class IntentDetector:
    """Detects one of :data:`INTENTS` in a customer turn, using earlier turns when the turn is a short reply."""

    def __init__(self, rules_path: Path | None = None) -> None:
        data = yaml.safe_load((rules_path or DEFAULT_RULES).read_text(encoding="utf-8"))
        self._load_text_rules(data)
        self._rules = tuple(sorted(self._compile_intents(data), key=lambda r: r.priority))
        self._load_context_rules(data["context"])
        self._scan = lru_cache(maxsize=4096)(self._scan_text)
        self._mention = lru_cache(maxsize=4096)(self._agent_mention)
        self._normalised = lru_cache(maxsize=4096)(self.normalise)  # agent turns are normalised on every message

    def _load_text_rules(self, data: dict) -> None:
        pairs = data["traditional"].split()
        self._simplify = str.maketrans({p[0]: p[1] for p in pairs})
        self._variants = data["variants"]
        self._variant_re = _alternation([re.escape(k) for k in self._variants])
        self._neutral = _alternation(data["neutral"])
        self._negation = re.compile(data["negation"])
        self._hypothetical = re.compile(data["hypothetical"])
        self._conditional = re.compile(data["conditional_after"])
        self._clause = re.compile(f"(?:(?!{data['clause_break']}).)*$")
        self._cues = {name: re.compile(p) for name, p in data["cues"].items()}

    def _compile_intents(self, data: dict) -> Iterator[_Rule]:
        for name, spec in data["intents"].items():
            if name not in INTENTS:
                raise ValueError(f"intent_rules: unknown intent {name!r}")
            cued = tuple(self._compile_cued(group) for group in spec.get("cued", ()))
            yield _Rule(name, spec["priority"], spec["hypothetical"], _alternation(spec["phrases"]), cued)

    def _compile_cued(self, group: dict) -> _CuedGroup:
        named = [self._cues[c].pattern for c in group["cues"] if c != "topic"]
        cues = _alternation(named) if named else None
        return _CuedGroup(_alternation(group["patterns"]), cues, "topic" in group["cues"])

    def _load_context_rules(self, spec: dict) -> None:
        self._window = spec["window"]
        self._max_reply = spec["max_reply_chars"]
        for key in ("affirm", "deny", "order_ref", "follow_up", "agent_question", "arrival_probe"):
            setattr(self, f"_{key}", re.compile(spec[key]))

    def normalise(self, text: str) -> str:
        """Fold width, case, traditional characters, colloquial spellings, and blank out idioms."""
        text = unicodedata.normalize("NFKC", text).lower().translate(self._simplify)
        text = self._variant_re.sub(lambda m: self._variants[m.group()], text)
        return self._neutral.sub("_", text)

    def detect(self, text: str, context: Sequence[tuple[str, str]] = ()) -> Intent:
        """The intent of ``text``; ``context`` holds earlier turns, oldest first, as ``(role, text)``."""
        scan = self._scan(text)
        if scan.best is not None:
            return scan.best
        if not context:
            return NO_INTENT
        return self._from_context(self._normalised(text), scan.awaiting, context[-self._window:])

    # -- one text on its own -------------------------------------------------------------------

    def _scan_text(self, text: str) -> _Scan:
        norm = self.normalise(text)
        found: dict[str, list[str]] = {}
        confidence: dict[str, float] = {}
        awaiting: list[tuple[str, str]] = []
        for rule in self._rules:
            for phrase, level in self._rule_hits(rule, norm, awaiting):
                found.setdefault(rule.name, []).append(phrase)
                confidence[rule.name] = max(confidence.get(rule.name, 0.0), level)
        if not found:
            return _Scan(None, tuple(awaiting))
        best = max(found, key=lambda name: confidence[name])  # rules are in priority order: ties keep it
        score = min(_CEILING, confidence[best] + _BONUS * (len(found[best]) - 1))
        return _Scan(Intent(best, score, tuple(found[best])), ())

    def _rule_hits(self, rule: _Rule, text: str, awaiting: list) -> Iterator[tuple[str, float]]:
        for match in rule.phrases.finditer(text):
            if self._stands(text, match, rule.hypothetical):
                yield f"phrase: {match.group()}", _PHRASE
        for group in rule.cued:
            for match in group.pattern.finditer(text):
                if not self._stands(text, match, rule.hypothetical):
                    continue
                rest = f"{text[:match.start()]}_{text[match.end():]}"
                cue = group.cues.search(rest) if group.cues else None
                if cue:
                    yield f"phrase: {match.group()} + cue: {cue.group()}", _CUED
                elif group.topic:
                    awaiting.append((rule.name, match.group()))

    def _stands(self, text: str, match: re.Match[str], hypothetical: bool) -> bool:
        """False when the phrase is denied ("没有破损") or imagined ("会不会压坏", "缺货的话") in its clause."""
        start = match.start()
        clause = self._clause.search(text, max(0, start - _LOOKBACK), start).group()
        negation = self._negation.search(clause)
        if negation and not negation.group(1):
            return False
        if not hypothetical:
            return True
        return not (self._hypothetical.search(clause) or self._conditional.match(text, match.end()))

    # -- earlier turns ---------------------------------------------------------------------------

    def _from_context(self, text: str, awaiting: tuple, turns: Sequence[tuple[str, str]]) -> Intent:
        topics = self._topics(turns) if awaiting else {}  # only a cued phrase needs them; a new agent turn is a scan
        for name, phrase in awaiting:
            if name in topics:
                return Intent(name, _TOPIC, (f"phrase: {phrase}", topics[name]))
        if len(self._order_ref.sub("", text)) > self._max_reply:  # an order number does not make a reply long
            return NO_INTENT
        return self._reply(text, turns) or self._follow_up_of(text, turns) or NO_INTENT

    def _topics(self, turns: Sequence[tuple[str, str]]) -> dict[str, str]:
        """Intents raised in recent turns, the most recent reason first."""
        topics: dict[str, str] = {}
        for role, said in reversed(turns):
            name = self._turn_topic(role, said)
            if name is not None:
                topics.setdefault(name, f"context {role}: {said}")
        return topics

    def _turn_topic(self, role: str, said: str) -> str | None:
        if role == "customer":
            best = self._scan(said).best
            return best.label if best else None
        return self._mention(said)

    def _agent_mention(self, said: str) -> str | None:
        """The first intent an agent turn talks about, asked or stated ("是还没收到货吗", "这款缺货了")."""
        norm = self.normalise(said)
        if self._agent_question.search(norm) and self._arrival_probe.search(norm):
            return "logistics_delay"
        for rule in self._rules:
            if rule.phrases.search(norm) or any(g.pattern.search(norm) for g in rule.cued):
                return rule.name
        return None

    def _reply(self, text: str, turns: Sequence[tuple[str, str]]) -> Intent | None:
        """A yes/no answer to the agent's question inherits the question's intent."""
        role, said = turns[-1]
        norm = self._normalised(said)
        if role == "customer" or not self._agent_question.search(norm):
            return None
        why = (f"reply: {text}", f"agent asked: {said}")
        if self._deny.match(text) and self._arrival_probe.search(norm):
            return Intent("logistics_delay", _REPLY, why)
        name = self._mention(said)
        if name is not None and self._affirm.match(text):
            return Intent(name, _REPLY, why)
        return None

    def _follow_up_of(self, text: str, turns: Sequence[tuple[str, str]]) -> Intent | None:
        """"对，就是这个单" after a complaint continues it; "那我的单怎么办" also continues an agent's news."""
        last_role, last_said = turns[-1]
        answered = last_role == "customer" or self._agent_question.search(self._normalised(last_said))
        if not (self._follow_up.search(text) or (answered and self._affirm.match(text))):
            return None
        about_order = self._order_ref.search(text) is not None
        for role, said in reversed(turns):
            name = self._turn_topic(role, said) if role == "customer" or about_order else None
            if name is not None:
                return Intent(name, _FOLLOW_UP, (f"follow-up: {text}", f"continues {role}: {said}"))
        return None
