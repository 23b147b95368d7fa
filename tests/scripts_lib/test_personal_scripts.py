"""Personal scripts: an agent's own quick replies reach that agent only — in hints, search and listing."""

from __future__ import annotations

import pytest

from scripts_lib.library import Library, LibraryError, Script
from scripts_lib.matcher import Matcher
from scripts_lib.search import search_scripts

MINE = Script(
    id="a1.pickup_code",
    category="物流查询",
    phrasings=("驿站取件码在哪里看", "取件码收不到"),
    text="{customer_name}，取件码在菜鸟App的“我的包裹”里能看到哦～",
    owner="a1",
)


@pytest.fixture(scope="module")
def personal(library: Library) -> Library:
    return library.with_personal([MINE])


def test_visible_only_to_its_owner(personal):
    assert MINE in set(personal.visible_to("a1"))
    assert MINE not in set(personal.visible_to("a2"))
    assert all(script.owner in (None, "a2") for script in personal.visible_to("a2"))


def test_with_personal_leaves_the_public_library_unchanged(library, personal):
    assert library.get(MINE.id) is None and personal.get(MINE.id) is MINE
    assert len(personal) == len(library) + 1


def test_hint_offers_it_to_the_owner_only(personal):
    matcher = Matcher(personal)
    assert matcher.match("取件码一直收不到", agent_id="a1")[0].script_id == MINE.id
    assert MINE.id not in [s.script_id for s in matcher.match("取件码一直收不到", agent_id="a2")]
    assert MINE.id not in [s.script_id for s in matcher.match("取件码一直收不到")]


def test_search_finds_it_for_the_owner_only(personal):
    assert search_scripts(personal, "取件码", "a1")[0] is MINE
    assert MINE not in search_scripts(personal, "取件码", "a2")


def test_a_personal_script_needs_an_owner(library):
    with pytest.raises(LibraryError, match="'mine.01': a personal script needs an owner"):
        library.with_personal([Script("mine.01", "常用", ("开场白",), "您好")])


def test_personal_scripts_are_validated_like_the_library(library):
    with pytest.raises(LibraryError, match="'logistics.query.01': duplicate id"):
        library.with_personal([Script("logistics.query.01", "常用", ("查物流",), "好的", owner="a1")])
    with pytest.raises(LibraryError, match=r"'a1.bad': unknown placeholder \{nickname\}"):
        library.with_personal([Script("a1.bad", "常用", ("开场白",), "{nickname}您好", owner="a1")])
