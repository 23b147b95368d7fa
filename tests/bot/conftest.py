"""Fixtures for the chatbot-tier quality tests: the shipped library, one matcher over it (built once: building
loads jieba's dictionary), the FAQ bot at the shipped min_confidence, and bench/bot_quality.py as a module, so
the tests and the published bench measure the same way."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from handlers.bot_config import BotConfig
from scripts_lib.faq_bot import FaqBot
from scripts_lib.library import Library
from scripts_lib.matcher import Matcher

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_bot_quality", ROOT / "bench" / "bot_quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def library() -> Library:
    return Library.load()


@pytest.fixture(scope="session")
def matcher(library: Library) -> Matcher:
    return Matcher(library)


@pytest.fixture(scope="session")
def bot(matcher: Matcher) -> FaqBot:
    return FaqBot(lambda: matcher, BotConfig().min_confidence)
