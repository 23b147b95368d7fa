"""LibraryWatcher: a changed file is reloaded without a restart; a broken edit keeps the old library."""

from __future__ import annotations

import os

import yaml

from scripts_lib.library import Library, LibraryError, LibraryWatcher


def _rewrite(path, scripts: list[dict]) -> None:
    """Write new content and move mtime forward, as an editor saving the file a moment later would."""
    stat = path.stat()
    path.write_text(yaml.safe_dump({"scripts": scripts}, allow_unicode=True), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_first_check_loads_then_nothing_until_a_change(entry, write_files):
    watcher = LibraryWatcher(*write_files([entry("a.01")]))
    first = watcher.check()
    assert isinstance(first, Library) and [s.id for s in first] == ["a.01"]
    assert watcher.check() is None


def test_changed_file_is_reloaded(entry, write_files):
    scripts_path, knowledge_path = write_files([entry("a.01")])
    watcher = LibraryWatcher(scripts_path, knowledge_path)
    watcher.check()
    _rewrite(scripts_path, [entry("a.01"), entry("a.02", text="新加的话术")])
    reloaded = watcher.check()
    assert isinstance(reloaded, Library) and reloaded.get("a.02").text == "新加的话术"
    assert watcher.check() is None


def test_broken_edit_is_reported_once_and_a_fix_is_picked_up(entry, write_files):
    scripts_path, knowledge_path = write_files([entry("a.01")])
    watcher = LibraryWatcher(scripts_path, knowledge_path)
    watcher.check()
    _rewrite(scripts_path, [entry("a.01"), entry("a.01")])
    error = watcher.check()
    assert isinstance(error, LibraryError) and "'a.01': duplicate id" in str(error)
    assert watcher.check() is None  # reported once; the caller keeps its old library
    _rewrite(scripts_path, [entry("a.01"), entry("a.03")])
    fixed = watcher.check()
    assert isinstance(fixed, Library) and fixed.get("a.03") is not None


def test_a_deleted_file_is_an_error_not_a_crash(entry, write_files):
    scripts_path, knowledge_path = write_files([entry("a.01")])
    watcher = LibraryWatcher(scripts_path, knowledge_path)
    watcher.check()
    knowledge_path.unlink()
    assert isinstance(watcher.check(), LibraryError)


def test_watching_the_shipped_files_by_default():
    assert isinstance(LibraryWatcher().check(), Library)
