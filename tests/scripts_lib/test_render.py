"""Rendering: placeholders filled from the conversation, neutral words without values, empathy first when angry."""

from __future__ import annotations

from scripts_lib.library import Script

SCRIPT = Script(
    id="damage.test.01",
    category="商品破损",
    phrasings=("收到的东西坏了",),
    text="{customer_name}，{order_id}的破损已登记，我是{agent_name}。",
    empathy="真的非常抱歉，",
    solution="我们马上为{order_id}补发，运费由{shop_name}承担。",
)


def test_values_fill_placeholders():
    values = {"customer_name": "小王", "order_id": "PDD2026112300001", "agent_name": "小李"}
    assert SCRIPT.render(values) == "小王，订单PDD2026112300001的破损已登记，我是客服小李。"


def test_missing_values_fall_back_to_neutral_words():
    assert SCRIPT.render({}) == "亲，您的订单的破损已登记，我是客服。"


def test_blank_values_count_as_missing_and_extra_values_are_ignored():
    assert SCRIPT.render({"customer_name": "  ", "order_id": "", "unrelated": "x"}) == SCRIPT.render({})


def test_empathy_first_combines_empathy_and_solution():
    rendered = SCRIPT.render({"order_id": "JD1"}, empathy_first=True)
    assert rendered == "真的非常抱歉，我们马上为订单JD1补发，运费由本店承担。"


def test_empathy_first_without_an_empathy_part_is_the_plain_text():
    plain = Script("x.01", "发票", ("能开发票吗",), "{customer_name}，可以开发票的。")
    assert plain.render({}, empathy_first=True) == "亲，可以开发票的。"


def test_empathy_without_solution_leads_into_the_text():
    script = Script("x.02", "安抚与致歉", ("气死了",), "我来处理。", empathy="理解您的心情，")
    assert script.render({}, empathy_first=True) == "理解您的心情，我来处理。"
