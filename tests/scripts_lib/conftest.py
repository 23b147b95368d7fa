"""Fixtures for the reply-script library tests: the shipped library and one matcher over it, built once
(building loads jieba's dictionary), and a helper that writes small library files into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scripts_lib.library import Library
from scripts_lib.matcher import Matcher


@pytest.fixture(scope="session")
def library() -> Library:
    return Library.load()


@pytest.fixture(scope="session")
def matcher(library: Library) -> Matcher:
    return Matcher(library)


def _entry(entry_id: str, **fields: object) -> dict:
    base = {"id": entry_id, "category": "物流查询", "phrasings": ["我的快递到哪了"], "text": "{customer_name}您好"}
    return {**base, **fields}


@pytest.fixture
def entry():
    """Build a valid library entry; keyword arguments replace or add fields."""
    return _entry


@pytest.fixture
def write_files(tmp_path: Path):
    """Write a scripts file and a knowledge file; returns their paths."""

    def write(scripts: list[dict], knowledge: list[dict] | None = None) -> tuple[Path, Path]:
        scripts_path, knowledge_path = tmp_path / "library.yaml", tmp_path / "knowledge.yaml"
        scripts_path.write_text(yaml.safe_dump({"scripts": scripts}, allow_unicode=True), encoding="utf-8")
        knowledge_path.write_text(yaml.safe_dump({"knowledge": knowledge or []}, allow_unicode=True), encoding="utf-8")
        return scripts_path, knowledge_path

    return write
