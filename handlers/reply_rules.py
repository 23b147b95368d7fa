"""Checks on an agent's reply before it reaches the customer: banned phrases, personal data, copy-paste repeats.

Pure functions of the reply and what the conversation already holds; the QA pipeline step decides what a
violation does (``qa.on_violation``) and records it.

Banned phrases are matched in one regex pass over the folded reply. The regex is a trie of the phrases with
up to three spaces or punctuation marks allowed between characters, so "加 微 信", "v.x" and "ＶＸ" match
while every branch starts with a literal (the regex engine skips positions that cannot start a phrase).
A blunt substring would block polite replies (不知道 also starts "不知道您方便提供…吗"), so a hit is then
weighed in its context: the word list's exceptions (``<词``, ``>词``, ``$`` for "only where the clause ends")
and, for every phrase, a negation or talk of fraud around it ("请勿私下转账", "不能保证明天到").

Personal data comes from :func:`gateway.pii.find_pii`; what the customer wrote in the conversation, the
conversation's order id and the shop's ``qa.allowed_pii`` may be sent back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

from gateway.pii import PiiSpan, find_pii, fold, mask_pii
from handlers.qa_config import QAConfig

DEFAULT_WORDS_PATH = Path(__file__).with_name("banned_words.txt")

_SEP_CHARS = re.compile(r"[^\w\n%]|_")
# One character class between phrase characters keeps the regex small: it compiles in a quarter of the time
# of "(?:[^\w\n%]|_)", so the matcher sees "_" as a space instead.
_SEP = r"[^\w\n%]{0,3}"
_ASCII_ALNUM = re.compile(r"[a-z0-9]")
_CLAUSE_BREAK = re.compile(r"[，。！？；,!?;\n~～…]")
_PARTICLES = "啊呀了啦的呢吧哦嘛"
_NEGATIONS = (
    "请勿", "切勿", "不要", "谨防", "严禁", "禁止", "不会", "不能", "无需", "不用", "不得", "避免", "防止",
    "不支持", "不允许", "不接受",
)
_WARNINGS = ("骗", "假冒", "冒充")
_CONTEXT_WINDOW = 10
_OPTIONS = re.compile(r"\(([^()]*)\)")
_DIGIT_RUNS = re.compile(r"[0-9]+x?")
_NUMBERS = re.compile(r"[0-9]+")
_PII_NAMES = {"phone": "手机号", "id_number": "身份证号", "bank_card": "银行卡号", "email": "邮箱", "address": "详细地址"}


@dataclass(frozen=True, slots=True)
class Violation:
    code: str
    detail: str
    start: int
    end: int
    span: str

    def to_dict(self) -> dict:
        return {"code": self.code, "detail": self.detail, "start": self.start, "end": self.end, "span": self.span}


@dataclass(frozen=True, slots=True)
class BannedPhrase:
    """One phrase of the list; it does not count right after ``not_after`` or right before ``not_before``,
    and with ``clause_end`` only when nothing but punctuation follows it ("没办法。", not "没办法直接修改")."""

    text: str
    not_after: tuple[str, ...] = ()
    not_before: tuple[str, ...] = ()
    clause_end: bool = False


def skeleton(text: str) -> str:
    """What matching compares: folded, without the separators a reply may put between characters."""
    return _SEP_CHARS.sub("", fold(text))


def parse_banned_words(lines: Iterable[str], source: str = "banned words") -> list[BannedPhrase]:
    """The word-list syntax: ``phrase[$] [<before] [>after]…``, ``(a|b)`` expanding into one phrase per option."""
    phrases = []
    for number, line in enumerate(lines, 1):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        not_after, not_before = _contexts(tokens[1:], f"{source}:{number}")
        pattern, clause_end = tokens[0].removesuffix("$"), tokens[0].endswith("$")
        phrases += [BannedPhrase(text, not_after, not_before, clause_end) for text in _expand(pattern)]
    return phrases


def load_banned_words(path: Path) -> list[BannedPhrase]:
    return parse_banned_words(path.read_text(encoding="utf-8").splitlines(), str(path))


def _contexts(tokens: list[str], where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    for token in tokens:
        if token[0] not in "<>" or len(token) < 2:
            raise ValueError(f"{where}: {token!r} is not an exception (write <word or >word)")
    return (
        tuple(fold(t[1:]) for t in tokens if t[0] == "<"),
        tuple(fold(t[1:]) for t in tokens if t[0] == ">"),
    )


def _expand(pattern: str) -> list[str]:
    parts = _OPTIONS.split(pattern)
    choices = [[p] if i % 2 == 0 else p.split("|") for i, p in enumerate(parts)]
    return ["".join(combination) for combination in product(*choices)]


class PhraseMatcher:
    """All banned phrases of a reply in one pass, longest phrase first where several start at one place."""

    def __init__(self, phrases: Iterable[BannedPhrase]) -> None:
        self._phrases: dict[str, BannedPhrase] = {}
        for phrase in phrases:
            key = skeleton(phrase.text)
            if key and key not in self._phrases:
                self._phrases[key] = phrase
        self._regex = re.compile(_trie_regex(self._phrases) or r"(?!)")

    def find(self, text: str) -> Iterator[tuple[int, int, BannedPhrase]]:
        folded = fold(text).replace("_", " ")
        for match in self._regex.finditer(folded):
            phrase = self._phrases[_SEP_CHARS.sub("", match.group())]
            if not _excused(phrase, folded, match.start(), match.end()):
                yield match.start(), match.end(), phrase


def _trie_regex(keys: Iterable[str]) -> str:
    trie: dict = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}
    return "|".join(re.escape(ch) + _after(sub) for ch, sub in trie.items())


def _after(node: dict) -> str:
    """What may follow a trie node: its children first (longest match), then the end of a phrase."""
    options = [_SEP + re.escape(ch) + _after(sub) for ch, sub in node.items() if ch]
    if "" in node:
        options.append("")
    return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"


def _excused(phrase: BannedPhrase, folded: str, start: int, end: int) -> bool:
    before = folded[max(0, start - _CONTEXT_WINDOW) : start]
    after = folded[end : end + _CONTEXT_WINDOW]
    return (
        _inside_word(folded, start, end)
        or before.rstrip().endswith(phrase.not_after)
        or after.lstrip().startswith(phrase.not_before)
        or (phrase.clause_end and not _clause_ends(after))
        or _warning(before, after)
    )


def _clause_ends(after: str) -> bool:
    rest = after.lstrip()
    return not rest or bool(_CLAUSE_BREAK.match(rest)) or rest[0] in _PARTICLES


def _inside_word(folded: str, start: int, end: int) -> bool:
    """Latin phrases only as whole words: "sb" is not in "usb", "加v" is not in "加vip"."""
    head = _ASCII_ALNUM.match(folded[start]) and start > 0 and _ASCII_ALNUM.match(folded[start - 1])
    tail = _ASCII_ALNUM.match(folded[end - 1]) and end < len(folded) and _ASCII_ALNUM.match(folded[end])
    return bool(head or tail)


def _warning(before: str, after: str) -> bool:
    """A negation before the phrase ("请勿添加客服个人微信", "平台不支持私下转账") or talk of fraud in the
    same clause ("要求您线下转账的都是骗子") turns a banned phrase into a warning to the customer."""
    clause_before = _CLAUSE_BREAK.split(before)[-1]
    clause = clause_before + _CLAUSE_BREAK.split(after)[0]
    return any(word in clause_before for word in _NEGATIONS) or any(word in clause for word in _WARNINGS)


class ReplyChecker:
    """The checks ``qa`` configures, built once at start-up (the word list is read and compiled here)."""

    def __init__(self, config: QAConfig, default_words_path: Path | None = None) -> None:
        self._config = config
        phrases = load_banned_words(default_words_path or DEFAULT_WORDS_PATH)
        self._matcher = PhraseMatcher([*phrases, *(BannedPhrase(word) for word in config.banned_words)])

    def check(
        self,
        reply: str,
        *,
        customer_texts: Sequence[str] = (),
        order_id: str | None = None,
        previous_reply: str | None = None,
    ) -> list[Violation]:
        """Every violation in ``reply``, in reply order; an empty list means the reply may go out."""
        violations = [
            Violation("banned_word", f"禁用语: {phrase.text}", start, end, reply[start:end])
            for start, end, phrase in self._matcher.find(reply)
        ]
        if self._config.check_pii:
            violations += self._pii_leaks(reply, customer_texts, order_id)
        if self._config.check_repeat and previous_reply and self._repeats(reply, previous_reply):
            violations.append(Violation("repeat", "与上一条回复重复 (copy-paste repeat)", 0, len(reply), reply))
        return sorted(violations, key=lambda v: (v.start, v.end))

    def mask(self, reply: str, violations: Sequence[Violation]) -> str:
        """The reply with each span masked; a repeat has nothing to mask and is left as it is."""
        pieces, cursor = [], 0
        for violation in sorted(violations, key=lambda v: (v.start, -v.end)):
            if violation.code == "repeat" or violation.start < cursor:
                continue
            pieces += [reply[cursor : violation.start], _masked(violation)]
            cursor = violation.end
        pieces.append(reply[cursor:])
        return "".join(pieces)

    def _pii_leaks(self, reply: str, customer_texts: Sequence[str], order_id: str | None) -> list[Violation]:
        spans = find_pii(reply)
        if not spans:
            return []
        given = _GivenData([*customer_texts, *self._config.allowed_pii], order_id)
        return [
            Violation("pii_leak", f"个人信息: {_PII_NAMES[span.kind]}", span.start, span.end, span.text)
            for span in spans
            if not given.covers(span)
        ]

    def _repeats(self, reply: str, previous_reply: str) -> bool:
        current = skeleton(reply)
        return len(current) >= self._config.repeat_min_chars and current == skeleton(previous_reply)


def _masked(violation: Violation) -> str:
    """PII keeps its shape (as in the logs); anything else, or PII that no longer parses alone, becomes stars."""
    if violation.code == "pii_leak":
        masked = mask_pii(violation.span)
        if masked != violation.span:
            return masked
    return "*" * len(violation.span)


class _GivenData:
    """What the customer (or the shop's config) already put in the conversation, compared as the reply's PII."""

    def __init__(self, texts: Sequence[str], order_id: str | None) -> None:
        self._compact = [skeleton(text) for text in texts]
        self._digit_runs = {run for text in self._compact for run in _DIGIT_RUNS.findall(text)}
        self._order_id = skeleton(order_id) if order_id else None

    def covers(self, span: PiiSpan) -> bool:
        key = skeleton(span.text)
        if self._order_id and key in self._order_id:
            return True
        if span.kind == "address":
            return self._covers_address(key)
        if span.kind == "email":
            return any(key in text for text in self._compact)
        if span.kind == "phone":
            key = key[-11:]
        return any(key in run for run in self._digit_runs)

    def _covers_address(self, key: str) -> bool:
        """Same numbers and the two characters naming the street or estate: tolerant of a dropped 省/室."""
        numbers = _NUMBERS.findall(key)
        first = _NUMBERS.search(key)
        name = key[max(0, first.start() - 2) : first.start()] if first else key[-4:]
        return any(name in text for text in self._compact) and all(n in self._digit_runs for n in numbers)
