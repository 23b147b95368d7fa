"""Intent detection: each intent, its look-alikes, negation, what-ifs and the use of earlier turns."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalation.intent import INTENTS, Intent, IntentDetector


@pytest.fixture(scope="module")
def detector() -> IntentDetector:
    return IntentDetector()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("我的快递三天没动了", "logistics_delay"),
        ("怎么还没发货啊", "logistics_delay"),
        ("下单一周了还没发货？？？", "logistics_delay"),
        ("物流信息显示已签收，但我根本没收到", "logistics_delay"),
        ("地址写错了，能帮我改一下吗", "address_change"),
        ("还没发货的话帮我换个地址", "address_change"),
        ("收到的杯子碎了", "damaged_goods"),
        ("到手就不能用了", "damaged_goods"),
        ("发错货了", "wrong_item"),
        ("我买的是黑色，收到的是白色", "wrong_item"),
        ("买了三个只收到两个", "missing_item"),
        ("收到个空盒子", "missing_item"),
        ("我都付款了你们说没货？", "stock"),
        ("什么时候补货？我已经下单了", "stock"),
        ("不想要了，能退吗", "refund_return"),
        ("退款怎么还没到", "refund_return"),
        ("我買的東西怎麼還沒發貨", "logistics_delay"),
        ("發錯貨了", "wrong_item"),
    ],
)
def test_problem_turns_get_their_intent(detector: IntentDetector, text: str, label: str) -> None:
    assert detector.detect(text).label == label


@pytest.mark.parametrize(
    "text",
    [
        "什么时候发货",
        "今天下单什么时候发货？",
        "这个是不是正品",
        "快递员态度很好",
        "物流挺快的，第二天就到了",
        "地址填好了",
        "有货吗",
        "这款什么时候有货",
        "支持七天无理由退货吗",
        "优惠券用不了",
        "你们客服回复太慢了",
        "我气坏了",
        "多少个一箱",
        "发货了吗",
    ],
)
def test_pre_sales_and_praise_open_nothing(detector: IntentDetector, text: str) -> None:
    assert detector.detect(text).label is None


@pytest.mark.parametrize(
    "text",
    ["包装很好，没有破损", "不是发错了，是我拍错了", "没有少发，是我看错了", "我不想退款了", "没有延迟，很准时", "没有缺货吧？"],
)
def test_negated_problems_are_not_problems(detector: IntentDetector, text: str) -> None:
    assert detector.detect(text).label is None


@pytest.mark.parametrize(
    "text",
    ["运输过程中会不会压坏", "万一发错了怎么办", "如果不合适可以退吗", "怕压坏，能多包几层吗", "缺货的话会通知我吗", "发错了会包退吗"],
)
def test_what_ifs_are_not_problems(detector: IntentDetector, text: str) -> None:
    assert detector.detect(text).label is None


def test_a_complaint_about_absence_is_not_a_denial(detector: IntentDetector) -> None:
    assert detector.detect("为什么一直没退款").label == "refund_return"
    assert detector.detect("你们是不是发错了，我要的是42码").label == "wrong_item"


def test_not_shipped_counts_only_as_a_complaint(detector: IntentDetector) -> None:
    assert detector.detect("还没发货吗").label is None
    assert detector.detect("三天了还没发").label == "logistics_delay"
    assert detector.detect("都拍了五天了，什么时候发货").label == "logistics_delay"


def test_not_arrived_after_the_agent_asks_about_the_parcel(detector: IntentDetector) -> None:
    assert detector.detect("还没到").label is None
    found = detector.detect("还没到", [("customer", "你好"), ("agent", "亲，请问您的快递到了吗？")])
    assert found.label == "logistics_delay"
    assert any("快递到了吗" in why for why in found.evidence)


def test_no_to_did_you_receive_it_is_a_delay(detector: IntentDetector) -> None:
    assert detector.detect("没有", [("agent", "请问您收到货了吗？")]).label == "logistics_delay"
    assert detector.detect("没有", [("agent", "亲，请问外包装有破损吗？")]).label is None


def test_yes_inherits_the_agents_question(detector: IntentDetector) -> None:
    assert detector.detect("是的", [("agent", "亲，是发错颜色了吗？")]).label == "wrong_item"
    assert detector.detect("是的", [("agent", "亲，请问是要咨询这款的尺码吗？")]).label is None


def test_this_order_continues_the_complaint(detector: IntentDetector) -> None:
    context = [("customer", "我买的杯子碎了"), ("agent", "亲，是这个订单吗？")]
    found = detector.detect("对，就是这个单", context)
    assert found.label == "damaged_goods"
    assert found.confidence < detector.detect("我买的杯子碎了").confidence


def test_an_order_number_reply_continues_the_complaint(detector: IntentDetector) -> None:
    context = [("customer", "少发了两个杯子"), ("agent", "亲，麻烦发一下订单号")]
    assert detector.detect("订单号 4021234567890123", context).label == "missing_item"


def test_acknowledging_the_agent_is_not_a_new_complaint(detector: IntentDetector) -> None:
    context = [("customer", "快递三天没动"), ("agent", "已经帮您催促了，请耐心等待")]
    assert detector.detect("嗯", context).label is None
    assert detector.detect("好的谢谢", context).label is None


def test_the_order_question_after_out_of_stock_news_is_stock(detector: IntentDetector) -> None:
    context = [("agent", "非常抱歉亲，您购买的这款目前缺货")]
    assert detector.detect("那我的订单怎么办", context).label == "stock"
    assert detector.detect("那什么时候有货", [("agent", "亲，这款目前缺货哦")]).label is None


def test_the_root_problem_wins_over_the_refund_it_causes(detector: IntentDetector) -> None:
    assert detector.detect("快递压坏了，我要退货").label == "damaged_goods"
    assert detector.detect("缺货就给我退款吧").label == "stock"


def test_result_shape(detector: IntentDetector) -> None:
    found = detector.detect("少发了一件")
    assert found.to_dict() == {"label": "missing_item", "confidence": 0.9, "evidence": ["phrase: 少发"]}
    assert detector.detect("你好") == Intent(None, 0.0, ())
    assert detector.detect("").label is None


def test_every_intent_has_rules(detector: IntentDetector) -> None:
    seen = {detector.detect(text).label for text in ("快递三天没动了", "改地址", "碎了", "发错了", "少发了", "说没货", "退款")}
    assert seen == set(INTENTS)


def test_unknown_intent_in_rules_is_refused(tmp_path: Path) -> None:
    rules = Path(__file__).resolve().parents[2] / "escalation" / "intent_rules.yaml"
    broken = tmp_path / "rules.yaml"
    broken.write_text(rules.read_text(encoding="utf-8").replace("  stock:\n", "  stok:\n"), encoding="utf-8")
    with pytest.raises(ValueError, match="stok"):
        IntentDetector(broken)
