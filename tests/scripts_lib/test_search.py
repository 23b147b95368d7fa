"""The agent's quick-reply search: pinyin initials, full pinyin, homophone and character typos."""

from __future__ import annotations

import pytest

from scripts_lib.search import search_scripts


def categories(found) -> set[str]:
    return {script.category for script in found}


def test_pinyin_initials_find_a_category(library):
    found = search_scripts(library, "wlcx", "a1", limit=5)
    assert len(found) == 5 and categories(found) == {"物流查询"}


def test_pinyin_initials_of_a_phrasing(library):
    assert "invoice.paper.01" in [s.id for s in search_scripts(library, "zzfp", "a1", limit=3)]


@pytest.mark.parametrize(
    ("query", "category"),
    [("tuikuan", "退款进度"), ("退宽", "退款进度"), ("物流插询", "物流查询"), ("尺吗", "尺码/规格咨询"), ("保价", "价格争议/保价")],
)
def test_full_pinyin_and_typos(library, query, category):
    assert search_scripts(library, query, "a1")[0].category == category


def test_words_from_the_reply_text(library):
    assert "review.cashback.01" in [s.id for s in search_scripts(library, "不做好评返现", "a1")]


def test_limit_and_empty_query(library):
    assert len(search_scripts(library, "fp", "a1", limit=2)) == 2
    assert search_scripts(library, "  ", "a1") == []


def test_nonsense_finds_nothing(library):
    assert search_scripts(library, "qqxxjj", "a1") == []
