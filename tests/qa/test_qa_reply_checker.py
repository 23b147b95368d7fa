"""ReplyChecker: personal data the conversation already holds, repeats, masking, and the violation shape."""

import pytest

from handlers.qa_config import QAConfig
from handlers.reply_rules import ReplyChecker, Violation

LUHN_VALID_ORDER_ID = "6114710497465075291"


@pytest.fixture(scope="module")
def checker() -> ReplyChecker:
    return ReplyChecker(QAConfig())


def codes(violations: list[Violation]) -> list[str]:
    return [v.code for v in violations]


@pytest.mark.parametrize(
    "reply, customer",
    [
        ("好的，电话改成139 1234 5678了", "电话改一下 13912345678"),
        ("您的手机号是+86 186-1234-5678吗", "我的手机号18612345678"),
        ("地址是上海市浦东新区张江路100号对吧", "寄到上海市浦东新区张江路100号"),
        ("新地址阳光花园3栋2单元501室已修改", "帮我改到 阳光花园 3栋2单元501"),
        ("发票发到Wang@163.com", "邮箱是wang@163.com"),
        ("身份证110105199003071239已核对", "我的身份证是110105199003071239"),
        ("退到卡号6222026134125248", "退到这张卡 6222 0261 3412 5248"),
    ],
)
def test_data_the_customer_gave_may_be_repeated_back(checker, reply, customer):
    assert checker.check(reply, customer_texts=["你好", customer]) == []
    assert codes(checker.check(reply)) == ["pii_leak"]


@pytest.mark.parametrize(
    "reply, customer",
    [
        ("电话是186-0000-1234对吧", "电话是18600001243"),
        ("快递送到了阳光花园5栋2单元501室", "我住阳光花园3栋2单元501"),
        ("地址是张江路200号", "寄到上海市浦东新区张江路100号"),
    ],
)
def test_data_close_to_but_not_what_the_customer_gave_is_a_leak(checker, reply, customer):
    assert codes(checker.check(reply, customer_texts=[customer])) == ["pii_leak"]


def test_the_conversations_order_id_is_not_a_leak(checker):
    reply = f"{LUHN_VALID_ORDER_ID}这笔订单已经给您退款了"
    assert codes(checker.check(reply)) == ["pii_leak"]
    assert checker.check(reply, order_id=LUHN_VALID_ORDER_ID) == []


def test_letter_prefixed_order_ids_and_tracking_numbers_pass(checker):
    reply = "订单PDD2026112300001已发货，顺丰SF1234567890123，售后热线400-820-8820"
    assert checker.check(reply, order_id="PDD2026112300001") == []


def test_the_shops_own_details_can_be_allowed():
    reply = "退货地址：浙江省杭州市余杭区文一西路969号 售后部，电话13700001111"
    assert codes(ReplyChecker(QAConfig()).check(reply)) == ["pii_leak", "pii_leak"]
    allowed = QAConfig(allowed_pii=["浙江省杭州市余杭区文一西路969号", "13700001111"])
    assert ReplyChecker(allowed).check(reply) == []


def test_pii_violation_carries_the_span():
    reply = "收件人电话13912345678"
    [violation] = ReplyChecker(QAConfig()).check(reply)
    assert violation.to_dict() == {
        "code": "pii_leak", "detail": "个人信息: 手机号", "start": 5, "end": 16, "span": "13912345678"
    }
    assert reply[violation.start : violation.end] == violation.span


def test_a_copy_paste_repeat_of_the_previous_reply(checker):
    previous = "亲，已经帮您催促物流了，有新的进展我第一时间通知您！"
    [violation] = checker.check("亲, 已经帮您催促物流了 有新的进展我第一时间通知您~", previous_reply=previous)
    assert (violation.code, violation.start) == ("repeat", 0)
    assert checker.check("亲，物流有更新了，今天下午会派送", previous_reply=previous) == []


def test_short_replies_may_repeat(checker):
    assert checker.check("好的亲", previous_reply="好的亲") == []
    strict = ReplyChecker(QAConfig(repeat_min_chars=2))
    assert codes(strict.check("好的亲", previous_reply="好的亲")) == ["repeat"]


def test_checks_can_be_switched_off():
    quiet = ReplyChecker(QAConfig(check_pii=False, check_repeat=False))
    reply = "电话13912345678，电话13912345678"
    assert quiet.check(reply, previous_reply=reply) == []


def test_violations_come_in_reply_order(checker):
    violations = checker.check("电话13912345678，加我微信，你烦不烦")
    assert [(v.code, v.span) for v in violations] == [
        ("pii_leak", "13912345678"), ("banned_word", "加我微信"), ("banned_word", "你烦不烦"),
    ]


def test_mask_hides_each_span_in_its_shape(checker):
    reply = "加 微 信13912345678，发到abc@qq.com，地址阳光花园3栋2单元501室"
    masked = checker.mask(reply, checker.check(reply))
    assert masked == "*****139****5678，发到a***@qq.com，地址阳光花园***"


def test_mask_leaves_a_repeat_as_it_is(checker):
    reply = "亲，已经帮您催促物流了"
    violations = checker.check(reply, previous_reply=reply)
    assert codes(violations) == ["repeat"]
    assert checker.mask(reply, violations) == reply


def test_mask_of_overlapping_spans_masks_once(checker):
    reply = "电话13912345678"
    overlapping = [
        Violation("pii_leak", "个人信息: 手机号", 2, 13, "13912345678"),
        Violation("banned_word", "禁用语: x", 4, 8, "9123"),
    ]
    assert checker.mask(reply, overlapping) == "电话139****5678"
