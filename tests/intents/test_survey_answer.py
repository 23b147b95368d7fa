"""Survey answers are recorded and swallowed; anything else must reach an agent as a normal message."""

from __future__ import annotations

import pytest

from handlers.survey_answer import SurveyAnswer, parse_survey_answer


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        ("1", True),
        ("2", False),
        ("1.", True),
        ("１", True),
        ("1️⃣", True),
        ("1 谢谢", True),
        ("2 我的快递还没到", False),
        ("是", True),
        ("是的", True),
        ("否", False),
        ("不是", False),
        ("没有", False),
        ("解决了", True),
        ("没解决", False),
        ("还没有", False),
        ("还没解决呢", False),
        ("好的谢谢", True),
        ("谢谢！", True),
        ("ok", True),
        ("OK👌", True),
        ("好", True),
        ("满意", True),
        ("不满意", False),
        ("非常满意", True),
        ("好评", True),
        ("差评", False),
        ("👍", True),
        ("👍🏻", True),
        ("👎", False),
        ("🙂", True),
        ("😡", False),
        ("好的，没解决", False),
        ("没有，快递还没到", False),
        ("一般", None),
    ],
)
def test_answers(text: str, resolved: bool | None) -> None:
    answer = parse_survey_answer(text)
    assert answer is not None
    assert answer.resolved is resolved
    assert answer.rating is None
    assert answer.raw == text


@pytest.mark.parametrize(
    "text",
    [
        "什么时候发货？",
        "我还有个问题",
        "好的，我还有个问题",
        "谢谢，什么时候发货",
        "对了，还有个事",
        "是不是正品",
        "没有收到货",
        "2个小时了还没到",
        "3",
        "10",
        "1.5",
        "123456789012345678",
        "退款",
        "没有，你们的快递三天都没动了，我要投诉你们，太差了",
        "",
        "   ",
    ],
)
def test_not_answers(text: str) -> None:
    assert parse_survey_answer(text) is None


@pytest.mark.parametrize(
    ("text", "rating"),
    [("1", 1), ("5", 5), ("5分", 5), ("五星好评", 5), ("非常满意", 5), ("满意", 4), ("一般", 3), ("差评", 1)],
)
def test_scale_ratings(text: str, rating: int) -> None:
    answer = parse_survey_answer(text, scale=5)
    assert answer is not None and answer.rating == rating


def test_scale_bounds() -> None:
    assert parse_survey_answer("6", scale=5) is None
    assert parse_survey_answer("0", scale=5) is None
    assert parse_survey_answer("10", scale=10) is None  # one digit only: "10" is not read as an answer
    assert parse_survey_answer("非常满意", scale=10).rating == 10


def test_a_score_to_the_yes_no_question_still_says_how_it_went() -> None:
    assert parse_survey_answer("5分").resolved is True
    assert parse_survey_answer("1分").resolved is False


def test_to_dict() -> None:
    assert parse_survey_answer("2").to_dict() == {"resolved": False, "rating": None, "raw": "2"}
    assert SurveyAnswer(None, 4, "满意").to_dict() == {"resolved": None, "rating": 4, "raw": "满意"}
