"""The agent's quick-reply box: find a script from a few typed characters, typos and pinyin initials welcome.

Agents type fast and in any input mode: "wlcx" (initials of 物流查询), "tuikuan", "退宽" (a homophone slip for
退款) or a fragment of the reply they remember. Each script's category, phrasings and reply are therefore kept
three ways — as written, as pinyin initials and as full pinyin — and a query is compared with each form:
containment first, then rapidfuzz similarity (on pinyin, so homophone slips still match).
"""

from __future__ import annotations

import unicodedata
import weakref
from dataclasses import dataclass

from rapidfuzz.fuzz import partial_ratio, ratio

from scripts_lib.library import Library, Script
from scripts_lib.matcher import pinyin

MIN_SCORE = 70.0
# How much a hit in each field counts: the category names what the agent looks for, the reply is long prose.
_CATEGORY, _PHRASING, _TEXT, _ID = 1.0, 0.95, 0.85, 0.9
_FUZZY = 0.9  # a similar field counts less than one containing the query
_SHORT_FIELD = 24  # longer fields (replies) are matched by containment only: fuzzy hits in prose are noise


@dataclass(frozen=True, slots=True)
class _Field:
    weight: float
    text: str  # folded: half-width, lower-case, no spaces
    initials: str
    spelled: str  # full toneless pinyin, no separators


def search_scripts(library: Library, query: str, agent_id: str, limit: int = 10) -> list[Script]:
    """The scripts visible to ``agent_id`` that best fit ``query``, best first ([] for an empty query).

    Ties keep the agent's own scripts first, then library order (which groups a category together).
    """
    needle = _fold(query)
    if not needle:
        return []
    sounds = _spelled(needle)
    scored = []
    for position, (script, fields) in enumerate(_index(library)):
        if script.owner is not None and script.owner != agent_id:
            continue
        score = max(_score(needle, sounds, field) for field in fields)
        if score >= MIN_SCORE:
            scored.append((-score, script.owner is None, position, script))
    scored.sort(key=lambda row: row[:3])
    return [row[3] for row in scored[:limit]]


def _score(needle: str, sounds: str, field: _Field) -> float:
    """How well one field fits: containment (of the text, or of its sounds for a homophone slip) beats
    similarity, which is only tried on short fields — in prose it finds something for any query."""
    short = len(field.text) <= _SHORT_FIELD
    if needle in field.text:
        return 100 * field.weight
    if needle.isascii():
        if (short and needle in field.initials) or (needle in field.spelled and (short or len(needle) >= 5)):
            return 100 * field.weight
        if not short or len(needle) < 3:
            return 0.0
        return max(_similar(needle, field.initials), _similar(needle, field.spelled)) * field.weight * _FUZZY
    if sounds in field.spelled:
        return 95 * field.weight
    if not short:
        return 0.0
    similarity = _similar(needle, field.text)
    if len(needle) >= 3:
        similarity = max(similarity, _similar(sounds, field.spelled))
    return similarity * field.weight * _FUZZY


def _similar(needle: str, hay: str) -> float:
    # partial_ratio finds the best window of the longer string: a field shorter than the query would fit whole.
    return partial_ratio(needle, hay) if len(hay) >= len(needle) else ratio(needle, hay)


_INDEXES: weakref.WeakKeyDictionary[Library, list[tuple[Script, tuple[_Field, ...]]]] = weakref.WeakKeyDictionary()


def _index(library: Library) -> list[tuple[Script, tuple[_Field, ...]]]:
    """Search fields per script, built once per Library object (libraries are immutable, swapped whole)."""
    index = _INDEXES.get(library)
    if index is None:
        index = _INDEXES[library] = [(script, _fields(script)) for script in library]
    return index


def _fields(script: Script) -> tuple[_Field, ...]:
    parts = [(_CATEGORY, script.category), (_ID, script.id), (_TEXT, script.text)]
    parts += [(_PHRASING, phrasing) for phrasing in script.phrasings]
    return tuple(_field(weight, raw) for weight, raw in parts)


def _field(weight: float, raw: str) -> _Field:
    text = _fold(raw)
    syllables = [syllable for char in text for syllable in pinyin(char)]
    return _Field(weight, text, "".join(s[0] for s in syllables if s), "".join(syllables))


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def _spelled(text: str) -> str:
    return "".join(syllable for char in text for syllable in pinyin(char))
