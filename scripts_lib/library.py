"""The reply-script library (话术库) and knowledge base: typed entries, loading, validation, hot reload.

Both files are written by hand by shop staff, so every mistake is reported as a :class:`LibraryError` that
names the entry and the problem, and a bad edit of a running gateway's file never replaces a good library
(:class:`LibraryWatcher` reports the error and the caller keeps what it has).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

SHIPPED_SCRIPTS = Path(__file__).with_name("library.yaml")
SHIPPED_KNOWLEDGE = Path(__file__).with_name("knowledge.yaml")

# How each placeholder reads with a value, and the neutral words used without one, so that a reply written
# as "已为您查询{order_id}的物流" reads well both ways ("订单PDD123的物流" / "您的订单的物流").
_PLACEHOLDER_FORMS: dict[str, tuple[str, str]] = {
    "customer_name": ("{}", "亲"),
    "order_id": ("订单{}", "您的订单"),
    "agent_name": ("客服{}", "客服"),
    "shop_name": ("{}", "本店"),
    "courier": ("{}", "快递公司"),
    "tracking_no": ("运单号{}", "运单号"),
    "product_name": ("{}", "这款商品"),
}
PLACEHOLDERS = frozenset(_PLACEHOLDER_FORMS)
KINDS = frozenset({"script", "knowledge"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class LibraryError(ValueError):
    """A library or knowledge file, or a personal script, that cannot be used; the message names the entry."""


@dataclass(frozen=True, slots=True)
class Script:
    """One reply script or knowledge entry: the customer phrasings it answers and the reply to suggest."""

    id: str
    category: str
    phrasings: tuple[str, ...]
    text: str
    empathy: str | None = None
    solution: str | None = None
    owner: str | None = None  # None = public; an agent id = that agent's personal script
    kind: str = "script"  # "script" | "knowledge"

    def render(self, values: Mapping[str, str], empathy_first: bool = False) -> str:
        """The reply with placeholders filled; ``empathy_first`` leads with the empathy part for an upset customer."""
        body = self.text
        if empathy_first and self.empathy:
            body = self.empathy + (self.solution or self.text)
        return _PLACEHOLDER.sub(lambda found: _fill(found.group(1), values), body)


def _fill(name: str, values: Mapping[str, str]) -> str:
    template, fallback = _PLACEHOLDER_FORMS[name]
    value = str(values.get(name) or "").strip()
    return template.format(value) if value else fallback


def validate(script: Script) -> None:
    """Raise :class:`LibraryError` naming the entry when it could not be suggested as written."""
    label = f"entry {script.id!r}" if script.id else "an entry without id"
    if not isinstance(script.id, str) or not script.id.strip():
        raise LibraryError(f"{label}: missing id")
    if not script.category.strip():
        raise LibraryError(f"{label}: missing category")
    if not script.text.strip():
        raise LibraryError(f"{label}: empty text")
    if not script.phrasings or not all(isinstance(p, str) and p.strip() for p in script.phrasings):
        raise LibraryError(f"{label}: missing phrasings (at least one customer question is needed)")
    if script.kind not in KINDS:
        raise LibraryError(f"{label}: kind {script.kind!r} is not one of {sorted(KINDS)}")
    for part in (script.text, script.empathy, script.solution):
        unknown = sorted(set(_PLACEHOLDER.findall(part or "")) - PLACEHOLDERS)
        if unknown:
            known = ", ".join(sorted(PLACEHOLDERS))
            raise LibraryError(f"{label}: unknown placeholder {{{unknown[0]}}} (known: {known})")


class Library:
    """An immutable, validated set of scripts and knowledge entries; swap the whole object to change it."""

    def __init__(self, entries: Iterable[Script]) -> None:
        self._by_id: dict[str, Script] = {}
        for script in entries:
            validate(script)
            if script.id in self._by_id:
                raise LibraryError(f"entry {script.id!r}: duplicate id")
            self._by_id[script.id] = script

    @classmethod
    def load(cls, scripts_path: Path | None = None, knowledge_path: Path | None = None) -> Library:
        """Read the library and the knowledge base (the shipped files when a path is None)."""
        scripts = _read(Path(scripts_path or SHIPPED_SCRIPTS), section="scripts", kind="script")
        knowledge = _read(Path(knowledge_path or SHIPPED_KNOWLEDGE), section="knowledge", kind="knowledge")
        return cls([*scripts, *knowledge])

    def get(self, script_id: str) -> Script | None:
        return self._by_id.get(script_id)

    def __iter__(self) -> Iterator[Script]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def with_personal(self, scripts: Iterable[Script]) -> Library:
        """A new library with agents' personal scripts added; each needs an owner and a unique id."""
        personal = list(scripts)
        for script in personal:
            if not script.owner:
                raise LibraryError(f"entry {script.id!r}: a personal script needs an owner (the agent id)")
        return Library([*self, *personal])

    def visible_to(self, agent_id: str) -> Iterator[Script]:
        """Public entries and that agent's own, never another agent's personal scripts."""
        return (script for script in self if script.owner is None or script.owner == agent_id)


_FIELDS = frozenset(field.name for field in fields(Script)) - {"owner", "kind"}


def _read(path: Path, *, section: str, kind: str) -> list[Script]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LibraryError(f"{path}: cannot be read: {exc}") from exc
    entries = document.get(section) if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise LibraryError(f"{path}: expected a top-level {section!r} list")
    return [_entry(raw, kind, f"{path} entry #{number}") for number, raw in enumerate(entries, start=1)]


def _entry(raw: object, kind: str, where: str) -> Script:
    """One YAML entry as a :class:`Script`; errors name the entry by id, or by position when it has none."""
    if not isinstance(raw, dict):
        raise LibraryError(f"{where}: expected a mapping with id, category, phrasings and text")
    if not raw.get("id"):
        raise LibraryError(f"{where}: missing id")
    label = f"entry {raw['id']!r}"
    unknown = sorted(set(map(str, raw)) - _FIELDS)
    if unknown:
        raise LibraryError(f"{label}: unknown field {unknown[0]!r}")
    phrasings = raw.get("phrasings") or []
    if not isinstance(phrasings, list):
        raise LibraryError(f"{label}: phrasings must be a list of customer questions")
    strings = {name: raw.get(name) for name in ("id", "category", "text", "empathy", "solution")}
    for name, value in strings.items():
        if value is not None and not isinstance(value, str):
            raise LibraryError(f"{label}: {name} must be text")
    return Script(
        id=(strings["id"] or "").strip(),
        category=strings["category"] or "",
        phrasings=tuple(str(p) for p in phrasings),
        text=strings["text"] or "",
        empathy=strings["empathy"],
        solution=strings["solution"],
        kind=kind,
    )


class LibraryWatcher:
    """Reloads the library when either file changes, for a gateway that polls it (config ``reload_check``).

    The first :meth:`check` loads; later ones return None until a file's mtime, size or inode changes. A file
    that fails to load is reported once as the :class:`LibraryError` (the caller keeps its old library) and
    retried at its next change.
    """

    def __init__(self, scripts_path: Path | None = None, knowledge_path: Path | None = None) -> None:
        self._paths = (Path(scripts_path or SHIPPED_SCRIPTS), Path(knowledge_path or SHIPPED_KNOWLEDGE))
        self._seen: tuple[tuple[int, int, int] | None, ...] | None = None

    def check(self) -> Library | LibraryError | None:
        signature = tuple(_stat(path) for path in self._paths)
        if signature == self._seen:
            return None
        self._seen = signature  # taken before reading, so a write during the read is seen next time
        try:
            return Library.load(*self._paths)
        except LibraryError as exc:
            return exc


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino
