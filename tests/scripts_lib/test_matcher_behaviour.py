"""What a hint looks like and the traps it avoids: near-identical short questions, greetings, typos."""

from __future__ import annotations

import pytest

from scripts_lib.matcher import Matcher


def ids(suggestions) -> list[str]:
    return [s.script_id for s in suggestions]


def test_one_character_apart_questions_get_different_scripts(matcher):
    # rapidfuzz alone calls these 83% alike; they need different answers.
    assert ids(matcher.match("什么时候发货"))[0].startswith("shipping.")
    assert ids(matcher.match("什么时候有货"))[0] == "stock.when.01"


@pytest.mark.parametrize("text", ["在吗", "亲 在不在", "好的谢谢", "嗯嗯", "[图片]", "？？？", ""])
def test_greetings_and_acknowledgements_get_no_hint(matcher, text):
    assert matcher.match(text) == []


def test_homophone_typo_still_matches(matcher):
    assert "logistics.query.01" in ids(matcher.match("亲 我的快第到哪了"))


def test_suggestions_are_ranked_rendered_and_in_protocol_shape(matcher):
    found = matcher.match("我的退款怎么还没到账", values={"customer_name": "小王", "order_id": "PDD1"})
    assert 1 <= len(found) <= 3 and found[0].category == "退款进度"
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert all(0 < s.score <= 1 and "{" not in s.text for s in found)
    assert "小王" in found[0].text or "订单PDD1" in found[0].text
    assert set(found[0].to_dict()) == {"script_id", "text", "score", "category"}


def test_knowledge_entries_are_suggested_with_their_kind(matcher):
    found = matcher.match("运费险一般赔多少钱")
    assert "knowledge" in {s.kind for s in found}


def test_limit_is_respected(matcher):
    assert len(matcher.match("我的快递到哪了", limit=1)) == 1


def test_angry_customer_gets_empathy_first(matcher, library):
    calm = matcher.match("收到的东西摔碎了")[0]
    angry = matcher.match("收到的东西摔碎了", angry=True)[0]
    script = library.get(angry.script_id)
    assert script.empathy and angry.text.startswith(script.empathy)
    assert not calm.text.startswith(script.empathy)


def test_intent_lifts_its_categories(matcher):
    plain = {s.script_id: s.score for s in matcher.match("东西坏了", limit=10)}
    boosted = matcher.match("东西坏了", intent="damaged_goods", limit=10)
    assert boosted[0].category in {"商品破损", "售后维修"}
    assert boosted[0].score > plain[boosted[0].script_id]


def test_a_higher_floor_gives_fewer_hints(library):
    strict = Matcher(library, min_score=0.95)
    assert strict.match("快递好像卡住了三天没动") == []
