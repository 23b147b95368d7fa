"""FaqBot: what it answers, what it refuses, and what it hands to a person."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from scripts_lib.faq_bot import (LEAD_WEIGHT, NOT_FOR_BOT, OPERATING_POINT, PERSON_CATEGORIES, BotAnswer, FaqBot,
                                 bot_may_send, confidence)
from scripts_lib.library import Library, Script
from scripts_lib.matcher import Matcher

INVOICE = Script("faq.invoice", "发票", ("怎么开发票", "能开发票吗"), "{customer_name}，确认收货后在订单页申请开票～")
SIZES = Script("faq.sizes", "尺码/规格咨询", ("尺码偏大吗", "有尺码表吗"), "{customer_name}，这款是标准码～")
TRACKING = Script("order.tracking", "物流查询", ("我的快递到哪了", "物流到哪一步了"), "已为您查询到{order_id}的物流，运输中")
BROKEN = Script("problem.broken", "商品破损", ("收到的东西坏了", "东西碎了"), "麻烦拍一下破损的照片")
ANGRY = Script("angry.refund", "退款进度", ("再不退款我就投诉", "拖着不退钱"), "已加急处理", empathy="非常抱歉",
               solution="今天处理完")
SOLD_OUT = Script("stock.variant.01", "缺货/到货时间", ("黑色还有货吗", "这个颜色断货了吗"), "这个颜色暂时没货了")
INTERNAL = Script("kb.invoice", "发票", ("电子发票多久开好", "开票要几天"), "内部：财务1-3个工作日开出", kind="knowledge")
POINTS = Script("faq.points", "优惠券与活动", ("积分能抵钱吗",), "100积分抵1元")
BASE = (INVOICE, SIZES, TRACKING, BROKEN, ANGRY, SOLD_OUT, INTERNAL)


def _bot(*entries: Script, min_confidence: float = 0.8) -> FaqBot:
    matcher = Matcher(Library(entries or BASE))
    return FaqBot(lambda: matcher, min_confidence)


async def test_a_faq_is_answered_with_the_script_and_its_placeholders_filled() -> None:
    answer = await _bot().turn("亲 怎么开发票啊", values={"customer_name": "小王"})
    assert answer == BotAnswer("小王，确认收货后在订单页申请开票～", answer.confidence, entry="faq.invoice")
    assert answer.confidence >= 0.8 and not answer.handoff


@pytest.mark.parametrize(("text", "entry"), [
    ("我的快递到哪了", None),                   # asks about the customer's own order: no lookup, no guess
    ("物流到哪一步了", "order.tracking"),       # the script speaks about one order ({order_id})
    ("收到的东西坏了", "problem.broken"),       # a problem for a person (and a ticket)
    ("再不退款我就投诉", "angry.refund"),       # written for an upset customer (empathy)
    ("黑色还有货吗", "stock.variant.01"),       # states what a stock lookup would say
])
async def test_a_question_for_a_person_is_handed_over_not_answered(text: str, entry: str | None) -> None:
    answer = await _bot().turn(text)
    assert answer.reply is None and answer.handoff and answer.entry == entry
    assert answer.reason == ("order_specific" if entry is None else "needs_person")


async def test_knowledge_entries_are_never_sent() -> None:
    answer = await _bot().turn("电子发票多久开好")
    assert answer.reply is None and not answer.handoff and answer.entry != "kb.invoice"


async def test_another_agents_personal_script_is_never_sent() -> None:
    personal = Script("ps_1", "发票", ("发票抬头怎么写",), "我的私人话术", owner="a1")
    matcher = Matcher(Library(BASE).with_personal([personal]))
    answer = await FaqBot(lambda: matcher, 0.8).turn("发票抬头怎么写")
    assert answer.reply != "我的私人话术" and answer.entry != "ps_1"


@pytest.mark.parametrize("text", ["在吗", "你好", "嗯嗯那个东西呢", "今天天气真好", "[图片]"])
async def test_chit_chat_and_vague_turns_get_no_answer_and_no_handoff(text: str) -> None:
    answer = await _bot().turn(text)
    assert answer.reply is None and not answer.handoff


async def test_below_min_confidence_there_is_no_reply() -> None:
    weak = await _bot(min_confidence=0.0).turn("有没有尺码")  # a partial match: answered only by a lax bot
    assert weak.reply and weak.entry == "faq.sizes" and weak.confidence < 0.8
    answer = await _bot().turn("有没有尺码")
    assert answer == BotAnswer(None, weak.confidence, entry="faq.sizes")


async def test_a_tie_between_two_subjects_is_not_answered_but_one_within_a_subject_is() -> None:
    other_subject = replace(POINTS, id="price.points", category="价格争议/保价", text="积分不能抵现")
    same_subject = replace(POINTS, id="faq.points_2", text="积分可以抵现")
    tied = await _bot(*BASE, POINTS, other_subject).turn("积分能抵钱吗")
    assert tied.reply is None and tied.confidence <= 0.5 and not tied.handoff
    answered = await _bot(*BASE, POINTS, same_subject).turn("积分能抵钱吗")
    assert answered.reply in ("100积分抵1元", "积分可以抵现")


async def test_a_reloaded_library_is_judged_afresh() -> None:
    matchers = [Matcher(Library(BASE))]
    bot = FaqBot(lambda: matchers[-1], 0.8)
    assert (await bot.turn("怎么开发票")).reply
    matchers.append(Matcher(Library([replace(INVOICE, text="{order_id}的发票已开好"), *BASE[1:]])))
    answer = await bot.turn("怎么开发票")
    assert answer.reply is None and answer.handoff and answer.entry == "faq.invoice"


async def test_on_the_shipped_library_order_questions_and_problems_go_to_a_person(bot) -> None:
    for text in ("我的订单到哪了", "订单PDD2026112300001什么时候发", "帮我改下收货地址", "东西收到就是坏的"):
        answer = await bot.turn(text)
        assert answer.reply is None and answer.handoff, text
    assert (await bot.turn("发票怎么申请")).entry == "invoice.request.01"


async def test_whatever_the_bot_answers_on_the_labelled_turns_it_may_send(bench, bot, library) -> None:
    for turn in bench.load_turns("all"):
        answer = await bot.turn(turn["text"])
        assert answer.reply is None or bot_may_send(library.get(answer.entry)), turn["text"]


def test_the_rules_leave_the_customer_facing_faq_scripts(library) -> None:
    sendable = [script for script in library if bot_may_send(script)]
    assert 50 <= len(sendable) < sum(script.kind == "script" for script in library)
    assert all(script.kind == "script" and not script.empathy and "{order_id}" not in script.text
               and script.category not in PERSON_CATEGORIES for script in sendable)
    assert all(library.get(script_id) for script_id in NOT_FOR_BOT), "NOT_FOR_BOT names a script that is gone"
    assert {"invoice.request.01", "return.policy.01", "logistics.eta.01"} <= {s.id for s in sendable}


def test_confidence_grows_with_the_score_and_the_lead() -> None:
    assert confidence(0.9, 0.4) > confidence(0.7, 0.4) > confidence(0.5, 0.4)
    assert confidence(0.7, 0.3) > confidence(0.7, 0.6)
    top = OPERATING_POINT - LEAD_WEIGHT * 0.1  # and a lead of 0.1: evidence exactly at the operating point
    assert confidence(top, top - 0.1) == pytest.approx(0.8, abs=0.002)
    assert 0.0 <= confidence(0.31, 0.31) < confidence(1.0, 0.31) <= 1.0
    assert confidence(0.9, 0.89, tied_subjects=True) <= 0.5 < confidence(0.9, 0.89)


def test_the_answer_keeps_its_public_shape() -> None:
    assert [f.name for f in fields(BotAnswer)] == ["reply", "confidence", "handoff", "reason", "entry"]
    assert BotAnswer("hi", 0.9) == BotAnswer("hi", 0.9, False, None, None)
