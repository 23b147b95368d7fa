"""gateway.pii: what counts as personal data, what does not, and how it is masked."""

import pytest

from gateway.pii import find_pii, luhn_ok, mask_pii

VALID_ID = "110105199003071239"
VALID_ID_X = "11010519491231002X"
VALID_CARD = "6222026134125248"
VALID_CARD_19 = "6228482731672326863"


def kinds(text: str) -> list[str]:
    return [span.kind for span in find_pii(text)]


@pytest.mark.parametrize("number", [VALID_ID, VALID_ID_X, VALID_ID_X.lower(), "440305198512124565"])
def test_id_numbers_with_a_valid_check_digit_are_found(number):
    assert kinds(f"身份证号{number}") == ["id_number"]


@pytest.mark.parametrize(
    "number",
    [
        "110105199003071234",  # wrong check digit
        "11010519491231002Y",  # not a digit or X
        "110105199013071239",  # month 13
        "990105199003071239",  # no such province
    ],
)
def test_id_like_numbers_that_fail_validation_are_not_id_numbers(number):
    assert "id_number" not in kinds(f"身份证号{number}")


def test_id_number_written_in_groups():
    assert kinds("身份证 110105 19900307 1239") == ["id_number"]


@pytest.mark.parametrize("card", [VALID_CARD, VALID_CARD_19, "6222 0261 3412 5248", "6222-0261-3412-5248", "4111111111111111"])
def test_card_numbers_passing_luhn_are_found(card):
    assert kinds(f"卡号 {card} 谢谢") == ["bank_card"]


@pytest.mark.parametrize("card", ["6222026134125249", "4111111111111112", "6228482731672326864"])
def test_card_numbers_failing_luhn_are_not_cards(card):
    assert not luhn_ok(card.replace(" ", ""))
    assert kinds(f"卡号 {card}") == []


def test_card_digits_in_odd_groups_are_not_a_card():
    assert kinds("6222 02 6134 125248") == []


@pytest.mark.parametrize(
    "text",
    ["13812345678", "+86 13812345678", "+86 138 1234 5678", "86-138-1234-5678", "138 1234 5678", "0086 13812345678",
     "１３８１２３４５６７８"],
)
def test_mobile_numbers_in_their_usual_shapes(text):
    assert kinds(f"电话{text}。") == ["phone"]


@pytest.mark.parametrize(
    "text",
    ["12812345678", "138123456789", "400-820-8820", "0571-88886666", "95338", "2026-11-23 08:00:01"],
)
def test_numbers_that_are_not_mobile_numbers(text):
    assert kinds(f"电话{text}") == []


@pytest.mark.parametrize(
    "text",
    [
        "订单PDD2026112300001已发货",
        "顺丰单号SF1234567890123",
        "中通单号75312345678901",
        "订单号：6114710497465075291",  # a Luhn-valid order id, labelled
        "商品编码6901234567892",
        "售后单号SH2026112300123",
    ],
)
def test_order_and_tracking_numbers_are_not_personal_data(text):
    assert kinds(text) == []


def test_an_unlabelled_luhn_valid_order_id_looks_like_a_card():
    """Why the reply checks take the conversation's order id: alone, this number is indistinguishable."""
    assert kinds("6114710497465075291这笔已退款") == ["bank_card"]


def test_email_addresses_but_not_team_mailboxes():
    assert kinds("邮箱 Wang.Xiao_88@163.com 谢谢") == ["email"]
    assert kinds("售后邮箱 service@shop-example.com") == []


@pytest.mark.parametrize(
    "text, address",
    [
        ("寄到广东省深圳市南山区科技园路18号吧", "广东省深圳市南山区科技园路18号"),
        ("地址是北京市朝阳区建国路88号SOHO现代城5号楼1201室", "北京市朝阳区建国路88号SOHO现代城5号楼1201室"),
        ("我住阳光花园3栋2单元501室", "阳光花园3栋2单元501室"),
        ("送到3栋2单元501", "3栋2单元501"),
        ("收货地址是深圳市南山区阳光小区", "深圳市南山区阳光小区"),
        ("放在中石化大厦B座2201室前台", "中石化大厦B座2201室"),
    ],
)
def test_detailed_addresses(text, address):
    spans = find_pii(text)
    assert [(s.kind, s.text) for s in spans] == [("address", address)]


@pytest.mark.parametrize(
    "text",
    ["广东", "上海发货，江浙沪次日达", "预计11月25号送达", "您所在的地区是3号仓发货的", "快递柜编号是12号柜", "订单号123号",
     "北京市朝阳区", "2号线地铁站出口"],
)
def test_places_and_dates_that_are_not_detailed_addresses(text):
    assert kinds(text) == []


def test_spans_index_the_original_text_even_with_full_width_digits():
    text = "好的，电话１３８１２３４５６７８，邮箱ａ@qq.com"
    for span in find_pii(text):
        assert text[span.start : span.end] == span.text
    assert kinds(text) == ["phone", "email"]


@pytest.mark.parametrize(
    "text, masked",
    [
        ("电话13812345678", "电话138****5678"),
        ("电话138-1234-5678", "电话138-****-5678"),
        ("电话+86 138 1234 5678", "电话+86 138 **** 5678"),
        (f"身份证{VALID_ID_X}", "身份证1101**********002X"),
        ("卡号6222 0261 3412 5248", "卡号6222 **** **** 5248"),
        ("邮箱abc@qq.com", "邮箱a***@qq.com"),
        ("寄到广东省深圳市南山区科技园路18号", "寄到广东省深圳市***"),
        ("阳光花园3栋2单元501室", "阳光花园***"),
    ],
)
def test_mask_keeps_a_recognisable_shape(text, masked):
    assert mask_pii(text) == masked


def test_mask_pii_on_log_lines():
    plain = "2026-11-23 08:00:01,123 INFO customer.message cv_8f3a2 order=PDD2026112300001 text='快递三天没动了'"
    assert mask_pii(plain) is plain
    line = "2026-11-23 08:00:01,123 INFO customer.message cv_8f3a2 text='电话13812345678 身份证110105199003071239'"
    masked = mask_pii(line)
    assert "13812345678" not in masked and "110105199003071239" not in masked
    assert masked.endswith("text='电话138****5678 身份证1101**********1239'")
    assert masked.startswith("2026-11-23 08:00:01,123 INFO")
