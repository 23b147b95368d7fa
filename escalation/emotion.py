"""Emotion of one customer message, in its conversation, and the mood trend across messages.

Pure and synchronous (no I/O after construction): the gateway builds one :class:`EmotionEngine` at start-up
(jieba's dictionary, the lexicons and snownlp's model load then, ~1 s) and calls :meth:`EmotionEngine.score`
per customer message (~45 µs for a typical chat message, see bench/emotion_speed.py).

How a message is scored
  * valence = naive-Bayes polarity (snownlp's model on jieba tokens, :mod:`escalation.sentiment`) + 0.6 ×
    (positive − negative lexicon points); a question without anger keeps 0.4 of it, so it stays neutral.
  * anger points = anger, abuse, complaint-channel, impatience and sarcasm words + patterns ("问了三遍",
    "都一个星期了") + conversation signals (runs of ？！, the same question again, the agent's canned
    reply repeated, the agent's words thrown back as a question, unanswered waiting) + 0.35 × the
    negative valence (0.7 × when the message addresses the shop, "你们…"; capped, so disappointment
    alone never reads as angry). ``anger = 1 − 0.3^points``: 1 point reaches 0.70, 2 points 0.91.
  * score = tanh(valence − 0.6 × anger points), waiting left out: it is not the message's own mood.
  * hard_trigger = ``"abuse"`` when an insult was used, else ``"complaint_channel"`` when a complaint
    channel was named (投诉, 12315, 差评, 曝光, 找你们领导 …) and not negated ("不会给差评").

Emotion.label rules, first match wins
  1. ``angry``    anger ≥ 0.70 (the default escalation threshold)
  2. ``negative`` score ≤ −0.30
  3. ``positive`` score ≥ 0.30 and no sarcasm marker
  4. ``neutral``  otherwise
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jieba

from escalation.sentiment import DEFAULT_LEXICON_DIR, Hit, Reading, TextReader, same_text

ANGRY_AT, NEGATIVE_AT, POSITIVE_AT = 0.70, -0.30, 0.30
ANGRY_POINTS = 1.0
"""Anger points that make anger exactly ANGRY_AT: ``anger = 1 − 0.3^points``."""

# Fitted on the online_shopping `tune` half (bench/emotion_quality.py --fit): the lexicon weight against
# the naive-Bayes polarity. The rest are set by hand for chat and checked on tests/escalation/data.
W_LEXICON = 0.6
W_MOOD, W_BLAME, MOOD_CAP = 0.35, 0.7, 1.2  # W_BLAME when the message addresses the shop ("你们…")
AIMED_POINTS = 0.25  # anger words aimed at the shop ("你们看都不看") weigh more than a sigh at the world
AGENT_REPEAT_POINTS, ECHO_POINTS, SHOUTING_POINTS = 0.4, 0.4, 0.5
IMPATIENT_POINTS = 0.3  # "有人吗" is impatient, a polite "在吗" is not
QUESTION_DAMPING = 0.4
SARCASTIC_PRAISE = 1.0
SHORT_MESSAGE = 24  # characters: a chat turn, not a review
REPEAT_LOOKBACK = 10

_ANGER_KINDS = frozenset({"anger", "abuse", "complaint", "urge", "sarcasm"})
_HARD_TRIGGERS = {"abuse": "abuse", "complaint": "complaint_channel"}
_NOT_A_WORD = re.compile(r"[\W_]+")
_ECHO = re.compile(r"([^\s,.!?;:~]{2,8})\?")


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier turn of the conversation, oldest first."""

    role: str
    text: str
    at: float | None = None


@dataclass(frozen=True, slots=True)
class Emotion:
    """The engine's reading of one message; ``evidence`` says what moved it, for agents and the record."""

    score: float
    anger: float
    label: str
    evidence: tuple[str, ...]
    hard_trigger: str | None

    def to_dict(self) -> dict:
        return {"score": self.score, "anger": self.anger, "label": self.label, "evidence": list(self.evidence),
                "hard_trigger": self.hard_trigger}


@dataclass(slots=True)
class _Tally:
    """Running sums while one message is scored."""

    positive: float = 0.0
    negative: float = 0.0
    anger: float = 0.0
    anger_only: float = 0.0  # part of ``anger`` that is not the words' mood (waiting, cheerful "!!")
    sarcasm: int = 0  # sarcasm markers found
    hostile: bool = False  # anger, abuse or complaint words or anger patterns (not impatience, not sarcasm)
    hard_trigger: str | None = None
    evidence: list[str] = field(default_factory=list)

    def add_anger(self, points: float, evidence: str, mood: bool = True) -> None:
        self.anger += points
        self.anger_only += 0.0 if mood else points
        self.evidence.append(evidence)


class EmotionEngine:
    """Scores customer messages; immutable after construction, safe to share between threads."""

    def __init__(self, lexicon_dir: Path | None = None, *, tokenizer: jieba.Tokenizer | None = None) -> None:
        """Loads everything now (~1 s), not on the first message. ``tokenizer``: share the process's jieba
        tokenizer (~80 MB each) instead of jieba's global one."""
        self.reader = TextReader(lexicon_dir or DEFAULT_LEXICON_DIR, tokenizer)
        self._key = functools.lru_cache(maxsize=4096)(self._repeat_key)
        # A Reading depends on the text alone and short turns ("在吗", "好的") recur: read each one once.
        self._read = functools.lru_cache(maxsize=4096)(self.reader.read)

    def score(self, text: str, context: Sequence[Turn] = (), waited_s: float | None = None) -> Emotion:
        """Emotion of ``text``; ``context`` is the conversation before it, ``waited_s`` the unanswered wait
        when it arrived (None: derived from the ``at`` of the context turns, if they have one)."""
        reading = self._read(text)
        tally = _Tally()
        for hit in reading.hits:
            _count_hit(tally, hit)
        if reading.shouting:
            tally.add_anger(SHOUTING_POINTS, "signal:all_caps")
        _count_sarcastic_praise(tally, len(reading.norm), reading.addresses_shop)
        valence = reading.naive_bayes + W_LEXICON * (tally.positive - tally.negative)
        if tally.anger == 0 and reading.question:
            valence *= QUESTION_DAMPING
        self._count_signals(tally, reading, valence, context, waited_s)
        return _conclude(tally, reading, valence)

    def _count_signals(self, tally: _Tally, reading: Reading, valence: float, context: Sequence[Turn],
                       waited_s: float | None) -> None:
        """Aim, punctuation, repetition, canned replies and waiting: what the words alone do not show."""
        calm = tally.positive > tally.negative and tally.anger == 0
        if reading.addresses_shop and (tally.hostile or tally.sarcasm):
            tally.add_anger(AIMED_POINTS, "signal:aimed_at_shop")
        _count_punctuation(tally, reading.punctuation_runs, calm)
        if not calm and self._agent_repeated(context):
            tally.add_anger(AGENT_REPEAT_POINTS, "signal:agent_repeated_reply")
        if self._echoes_agent(reading.norm, context):
            tally.add_anger(ECHO_POINTS, "signal:echo_question")
        repeats = self._repeats(reading.norm, context)
        if repeats:
            ping = self.reader.lexicon.kind_of(_NOT_A_WORD.sub("", reading.norm)) == "urge"  # "在吗" again
            points = (0.6 + 0.45 * (min(repeats, 3) - 1)) * (0.5 if ping else 1.0)
            tally.add_anger(points, f"signal:repeated_question_x{repeats + 1}")
        waited = waited_s if waited_s is not None else _waited_from_context(context)
        _count_waiting(tally, waited, impatient=tally.anger >= IMPATIENT_POINTS or valence < NEGATIVE_AT)

    def _repeats(self, norm: str, context: Sequence[Turn]) -> int:
        """How many of the customer's recent turns ask the same thing again (fuzzy, acknowledgements aside)."""
        key = _NOT_A_WORD.sub("", norm)
        if len(key) < 2 or key in self.reader.lexicon.acknowledgements:
            return 0
        earlier = [t.text for t in context[-2 * REPEAT_LOOKBACK:] if t.role == "customer"][-REPEAT_LOOKBACK:]
        return sum(1 for text in earlier if same_text(key, self._key(text)))

    def _agent_repeated(self, context: Sequence[Turn]) -> bool:
        """Whether the agent's latest reply repeats one of their recent replies: a canned answer given
        again is what makes customers ask for someone else."""
        replies = [self._key(t.text) for t in context[-8:] if t.role == "agent"]
        return len(replies) >= 2 and any(same_text(replies[-1], earlier) for earlier in replies[:-1])

    def _echoes_agent(self, norm: str, context: Sequence[Turn]) -> bool:
        """Whether the customer throws the agent's words back as a question ("退一半？", "换一个？"),
        which is indignation; a real question ends in 吗/呢 and is not counted."""
        reply = next((t.text for t in reversed(context) if t.role == "agent"), None)
        if reply is None:
            return False
        said = self._key(reply)
        return any(echo in said for echo in _ECHO.findall(norm) if echo[-1] not in "吗呢么嘛")

    def _repeat_key(self, text: str) -> str:
        """Normalised text without punctuation or emoji; cached because each turn is compared many times."""
        return _NOT_A_WORD.sub("", self.reader.lexicon.normalize(text))


def _count_hit(tally: _Tally, hit: Hit) -> None:
    """Add one lexicon hit or pattern signal to the polarity or anger sums and record it."""
    tally.evidence.append(f"negated:{hit.phrase}" if hit.negated else f"{hit.source}:{hit.phrase}")
    if hit.kind == "positive":
        tally.positive += hit.weight
    elif hit.kind == "negative":
        tally.negative += hit.weight
    elif hit.kind in _ANGER_KINDS:  # a negated anger word comes back as kind "neutral"
        tally.sarcasm += hit.kind == "sarcasm"
        tally.hostile = tally.hostile or hit.kind not in ("urge", "sarcasm")
        trigger = _HARD_TRIGGERS.get(hit.kind)
        if trigger and tally.hard_trigger != "abuse":  # abuse outranks a complaint threat
            tally.hard_trigger = trigger
        tally.anger += hit.weight


def _count_sarcastic_praise(tally: _Tally, length: int, aimed: bool) -> None:
    """Praise is mockery, adding anger instead, next to two sarcasm markers ("呵呵，谢谢你们啊"), a marker
    with a complaint or aimed at the shop ("你们服务可真好呵呵"), or in a short message next to a hostile
    word ("又延迟了👍真棒"). One "呵呵" with praise may be a friendly laugh ("呵呵还不错"), and a long
    review that praises one thing and curses another ("客服垃圾，东西还不错") means both."""
    mocking = tally.sarcasm >= 2 or (tally.sarcasm and (tally.negative or tally.hostile or aimed))
    if (mocking or (tally.hostile and length <= SHORT_MESSAGE)) and tally.positive:
        tally.add_anger(SARCASTIC_PRAISE * tally.positive, "signal:sarcastic_praise")
        tally.positive = 0.0


def _count_punctuation(tally: _Tally, runs: Sequence[str], calm: bool) -> None:
    """A run of ？/！ shouts. In a cheerful message ("谢谢!!") it may still be sarcasm or a curt tone, so
    it keeps half its anger points, but it does not pull the score down."""
    if not runs:
        return
    marks = max(sum(char in "?!" for char in run) for run in runs)
    bang = any("!" in run for run in runs)
    points = min(0.75, 0.25 * (marks - 1)) + (0.15 if bang else 0.0) + 0.1 * (len(runs) - 1)
    tally.add_anger(points * 0.5 if calm else points, f"signal:punctuation_run_{marks}", mood=not calm)


def _count_waiting(tally: _Tally, waited: float | None, impatient: bool) -> None:
    """Unanswered waiting: 0 below a minute, up to 0.9 points at ten minutes; a third of it if calm.
    Waiting raises anger but is not the message's own mood, so it leaves the score alone."""
    if waited is None or waited < 60:
        return
    points = min(0.9, 0.15 + 0.75 * (waited - 60) / 540) * (1.0 if impatient else 1 / 3)
    tally.add_anger(points, f"signal:waited_{int(waited)}s", mood=False)


def unanswered_since(context: Sequence[Turn]) -> float | None:
    """``at`` of the first customer turn after the agent's last reply; None if answered or not known."""
    since = None
    for turn in context:
        if turn.role != "customer":
            since = None
        elif since is None:
            since = turn.at
    return since


def _waited_from_context(context: Sequence[Turn]) -> float | None:
    """Wait up to the newest known time in the context: a lower bound, since the current message's own
    time is not part of ``score``'s signature (the live gateway passes ``waited_s`` itself)."""
    since = unanswered_since(context)
    return None if since is None else max(t.at for t in context if t.at is not None) - since


def _conclude(tally: _Tally, reading: Reading, valence: float) -> Emotion:
    """Turn the sums into score, anger and label (rules in the module docstring)."""
    mood_weight = W_BLAME if reading.addresses_shop else W_MOOD
    points = tally.anger + mood_weight * min(MOOD_CAP, max(0.0, -valence))
    anger = round(1.0 - (1.0 - ANGRY_AT) ** (points / ANGRY_POINTS), 3)
    score = round(math.tanh(valence - W_LEXICON * (tally.anger - tally.anger_only)), 3)
    if abs(reading.naive_bayes) >= 0.3:
        tally.evidence.append(f"model:naive_bayes_{reading.naive_bayes:+.2f}")
    return Emotion(score, anger, _label(score, anger, tally.sarcasm), tuple(tally.evidence), tally.hard_trigger)


def _label(score: float, anger: float, sarcasm: int) -> str:
    if anger >= ANGRY_AT:
        return "angry"
    if score <= NEGATIVE_AT:
        return "negative"
    if score >= POSITIVE_AT and not sarcasm:
        return "positive"
    return "neutral"


TREND_ALPHA = 0.5
"""Weight of the newest message in the smoothed level: two calm messages halve an outburst's effect."""
TREND_KEEP = 8
MOVED_BY_KEEP, MOVED_BY_MIN, SNIPPET_CHARS = 5, 0.3, 40


@dataclass(frozen=True, slots=True)
class Trend:
    """The conversation's mood across customer messages; JSON-able, kept in the conversation state.

    ``slope`` is the change of the smoothed level on the latest message (so ``level − slope`` is where the
    mood stood before it); ``levels`` keeps the smoothed level after each of the last 8 messages, oldest
    first, so the policy can judge a rise over several messages.
    """

    level: float = 0.0
    slope: float = 0.0
    peak: float = 0.0
    count: int = 0
    moved_by: tuple[tuple[str, float], ...] = ()
    levels: tuple[float, ...] = ()

    def update(self, emotion: Emotion, text: str) -> Trend:
        """The trend after one more customer message (pure: returns a new Trend)."""
        level = round(TREND_ALPHA * emotion.anger + (1 - TREND_ALPHA) * self.level, 4)
        return Trend(level=level, slope=round(level - self.level, 4), peak=max(self.peak, emotion.anger),
                     count=self.count + 1, moved_by=_moved_by(self.moved_by, text, emotion.anger),
                     levels=(*self.levels, level)[-TREND_KEEP:])

    @property
    def previous_level(self) -> float:
        """Smoothed level before the latest message (0 at the start of a conversation)."""
        return round(self.level - self.slope, 4)

    def to_dict(self) -> dict:
        return {"level": self.level, "slope": self.slope, "peak": self.peak, "count": self.count,
                "moved_by": [list(item) for item in self.moved_by], "levels": list(self.levels)}

    @classmethod
    def from_dict(cls, data: dict) -> Trend:
        """Inverse of :meth:`to_dict`; missing keys take their defaults (state written by older versions)."""
        return cls(level=float(data.get("level", 0.0)), slope=float(data.get("slope", 0.0)),
                   peak=float(data.get("peak", 0.0)), count=int(data.get("count", 0)),
                   moved_by=tuple((str(text), float(anger)) for text, anger in data.get("moved_by", ())),
                   levels=tuple(float(level) for level in data.get("levels", ())))


def _moved_by(kept: tuple[tuple[str, float], ...], text: str, anger: float) -> tuple[tuple[str, float], ...]:
    """The angriest messages so far (at most 5, in conversation order; a tie keeps the newer one)."""
    if anger < MOVED_BY_MIN:
        return kept
    snippet = text.strip()
    if len(snippet) > SNIPPET_CHARS:
        snippet = snippet[:SNIPPET_CHARS - 1] + "…"
    items = [*kept, (snippet, anger)]
    if len(items) > MOVED_BY_KEEP:
        weakest = min(range(len(items)), key=lambda i: (items[i][1], i))
        del items[weakest]
    return tuple(items)
