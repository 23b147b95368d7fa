"""Order numbers among phone numbers, resident ID numbers, tracking numbers, prices and dates."""

from __future__ import annotations

import pytest

from escalation.orders import OrderIdFinder, is_mobile_number, is_resident_id

VALID_ID = "110105199003071239"  # check digit computed per GB 11643


@pytest.fixture(scope="module")
def finder() -> OrderIdFinder:
    return OrderIdFinder()


@pytest.mark.parametrize(
    ("text", "order_id"),
    [
        ("订单号：PDD2026112300001", "PDD2026112300001"),
        ("我的单 pdd2026112300001 还没到", "PDD2026112300001"),
        ("订单号 123456789012345678", "123456789012345678"),
        ("3456789012345678901 这个单碎了", "3456789012345678901"),
        ("京东的单 234567890123", "234567890123"),
        ("231123-123456789012345", "231123-123456789012345"),
        ("订单号：１２３４５６７８９０１２", "123456789012"),
        ("order id: 4021234567890123", "4021234567890123"),
        ("电话13812345678，订单号123456789012345678", "123456789012345678"),
    ],
)
def test_finds_platform_order_numbers(finder: OrderIdFinder, text: str, order_id: str) -> None:
    assert finder.find(text) == order_id


@pytest.mark.parametrize(
    "text",
    [
        "我电话13812345678",
        "订单号13812345678",
        f"身份证号{VALID_ID}",
        VALID_ID,
        "11010519491231002X",
        "快递单号 773012345678901",
        "运单号：234567890123",
        "时间202611230830",
        "2026-11-23 下单的",
        "20261123",
        "￥199.00",
        "价格 12999 元",
        "+8613812345678",
        "什么时候发货",
    ],
)
def test_ignores_phones_ids_tracking_numbers_dates_and_prices(finder: OrderIdFinder, text: str) -> None:
    assert finder.find(text) is None


def test_resident_id_check_digit_tells_ids_from_orders() -> None:
    assert is_resident_id(VALID_ID)
    assert not is_resident_id(VALID_ID[:-1] + "0")
    assert not is_resident_id("123456789012345678")


def test_mobile_numbers() -> None:
    assert is_mobile_number("13812345678")
    assert not is_mobile_number("12812345678")


def test_custom_patterns_replace_the_defaults() -> None:
    finder = OrderIdFinder([r"(?P<id>SO-\d{6})"])
    assert finder.find("单子 SO-123456") == "SO-123456"
    assert finder.find("123456789012345678") is None
