"""Loading the shipped 话术库 and knowledge base, and the errors a hand-edited file gets: each names the entry."""

from __future__ import annotations

import re

import pytest

from scripts_lib.library import PLACEHOLDERS, Library, LibraryError

CATEGORIES = {
    "物流查询", "催发货", "修改地址", "商品破损", "发错货", "漏发", "缺货/到货时间", "退换货", "退款进度",
    "价格争议/保价", "优惠券与活动", "尺码/规格咨询", "发票", "售后维修", "差评挽回", "安抚与致歉",
}


def test_shipped_library_covers_every_category(library):
    scripts = [s for s in library if s.kind == "script"]
    knowledge = [s for s in library if s.kind == "knowledge"]
    assert len(scripts) >= 150 and len(knowledge) >= 30
    assert {s.category for s in scripts} == CATEGORIES
    assert all(len(s.phrasings) >= 3 for s in library)
    assert sum(1 for s in scripts if s.empathy and s.solution) >= 20


def test_shipped_entries_use_known_placeholders_only(library):
    for script in library:
        for part in (script.text, script.empathy or "", script.solution or ""):
            assert set(re.findall(r"\{(\w+)\}", part)) <= PLACEHOLDERS, script.id


def test_duplicate_id_names_the_entry(entry, write_files):
    paths = write_files([entry("logistics.query.01"), entry("logistics.query.01", text="再说一次")])
    with pytest.raises(LibraryError, match=r"'logistics\.query\.01'.*duplicate id"):
        Library.load(*paths)


def test_duplicate_id_across_library_and_knowledge(entry, write_files):
    paths = write_files([entry("kb.returns")], knowledge=[entry("kb.returns")])
    with pytest.raises(LibraryError, match="'kb.returns': duplicate id"):
        Library.load(*paths)


def test_unknown_placeholder_names_entry_and_placeholder(entry, write_files):
    paths = write_files([entry("ok.01"), entry("refund.bad.01", solution="您的{order_number}已退款")])
    with pytest.raises(LibraryError, match=r"'refund\.bad\.01'.*unknown placeholder \{order_number\}"):
        Library.load(*paths)


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_names_the_entry(entry, write_files, text):
    paths = write_files([entry("address.empty.01", text=text)])
    with pytest.raises(LibraryError, match=r"'address\.empty\.01': empty text"):
        Library.load(*paths)


def test_missing_phrasings_names_the_entry(entry, write_files):
    paths = write_files([entry("stock.none.01", phrasings=[])])
    with pytest.raises(LibraryError, match=r"'stock\.none\.01': missing phrasings"):
        Library.load(*paths)


def test_unknown_field_names_the_entry(entry, write_files):
    paths = write_files([entry("coupon.typo.01", phrasing=["拼错了字段名"])])
    with pytest.raises(LibraryError, match=r"'coupon\.typo\.01': unknown field 'phrasing'"):
        Library.load(*paths)


def test_entry_without_id_is_named_by_position(entry, write_files):
    paths = write_files([entry("fine.01"), {"category": "发票", "phrasings": ["能开发票吗"], "text": "可以"}])
    with pytest.raises(LibraryError, match="entry #2: missing id"):
        Library.load(*paths)


def test_broken_yaml_names_the_file(entry, tmp_path, write_files):
    scripts_path, knowledge_path = write_files([entry("fine.01")])
    scripts_path.write_text("scripts: [ {id: x", encoding="utf-8")
    with pytest.raises(LibraryError, match="library.yaml: cannot be read"):
        Library.load(scripts_path, knowledge_path)


def test_loaded_entries_are_kind_script_and_knowledge(entry, write_files):
    library = Library.load(*write_files([entry("s.01")], knowledge=[entry("k.01")]))
    assert [(s.id, s.kind, s.owner) for s in library] == [("s.01", "script", None), ("k.01", "knowledge", None)]
    assert library.get("k.01").phrasings == ("我的快递到哪了",) and library.get("nope") is None


def test_shipped_files_are_found_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert len(Library.load()) >= 180
