"""asks_for_human: a small regex detector of requests for a person, with negation handling."""

from __future__ import annotations

import time

import pytest

from escalation.human_request import asks_for_human


@pytest.mark.parametrize("text", [
    "转人工", "人工", "人工!", "转人工客服", "转接人工坐席", "帮我转给人工", "人工客服在哪", "人工呢", "有没有人工",
    "找个真人", "真人客服在吗", "活人在吗", "找你们客服", "客服呢", "客服小姐姐在吗", "客服电话多少", "小二呢",
    "叫你们主管出来", "把你们店长叫来", "换个人跟我说", "我要跟人说话", "找个能解决问题的人", "人呢？？",
    "你是不是机器人", "你是机器人吧", "你是AI吗", "你到底是不是人", "是自动回复吗",
])
def test_requests_in_chinese_are_recognised(text: str) -> None:
    assert asks_for_human(text)


@pytest.mark.parametrize("text", [
    "human please", "can i talk to an agent", "I want a real person", "transfer me to an agent", "is this a bot",
    "ＨＵＭＡＮ ｐｌｅａｓｅ",  # full-width, as some phone keyboards type it
])
def test_requests_in_english_are_recognised(text: str) -> None:
    assert asks_for_human(text)


@pytest.mark.parametrize("text", [
    "人工费怎么算", "人工服务费多少", "人工智能音箱有货吗", "是人工授粉的吗", "需要人工安装吗", "模特图是真人拍的吗",
    "真人大小的抱枕", "客服态度很好", "之前的客服说可以退", "谢谢客服", "客服辛苦了", "扫地机器人有货吗",
    "我找人帮我收快递", "有没有人买过 好用吗", "在吗 有人吗", "is the wig human hair", "the delivery agent never came",
    "老板 便宜点呗", "我跟客服说过了",
])
def test_look_alikes_are_not_requests(text: str) -> None:
    assert asks_for_human(text) is None


@pytest.mark.parametrize("text", ["不用转人工了", "不需要人工 我自己看看", "没必要转人工", "无需人工处理",
                                  "别转人工 我问个简单的", "不找客服了", "先不转人工", "暂时不需要人工"])
def test_a_negated_request_is_not_one(text: str) -> None:
    assert asks_for_human(text) is None


@pytest.mark.parametrize("text", ["不要机器人", "别自动回复了", "我不想和机器人说话", "不想跟机器聊了", "跟机器人说不清楚"])
def test_refusing_the_bot_is_a_request_negation_and_all(text: str) -> None:
    assert asks_for_human(text)


def test_negation_reaches_only_the_words_just_before_the_request() -> None:
    assert asks_for_human("不用了，转人工")
    assert asks_for_human("为什么不转人工")
    assert asks_for_human("不用转人工了 算了还是转人工吧")


def test_the_answer_is_the_phrase_that_asks() -> None:
    assert asks_for_human("亲 麻烦帮我转人工客服处理一下") == "转人工"
    assert asks_for_human("客服小姐姐在吗") == "客服小姐姐在"


def test_it_is_fast() -> None:
    texts = ["亲，这个衣服什么面料的呀？洗了会不会缩水，我平时穿M码", "转人工", "人工费怎么算"] * 300
    started = time.perf_counter()
    for text in texts:
        asks_for_human(text)
    assert (time.perf_counter() - started) / len(texts) < 100e-6
