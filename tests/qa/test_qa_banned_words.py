"""The banned-phrase list: its syntax, and matching that tolerates evasions but not false alarms."""

import pytest

from handlers.qa_config import QAConfig
from handlers.reply_rules import DEFAULT_WORDS_PATH, BannedPhrase, PhraseMatcher, ReplyChecker, parse_banned_words


@pytest.fixture(scope="module")
def checker() -> ReplyChecker:
    return ReplyChecker(QAConfig())


def banned(checker: ReplyChecker, reply: str) -> list[str]:
    return [v.span for v in checker.check(reply) if v.code == "banned_word"]


def test_syntax_expands_options_and_reads_exceptions():
    phrases = parse_banned_words(["# comment", "", "加(|我)微信", "不知道 <您 >您 >亲", "没办法$"])
    assert [p.text for p in phrases] == ["加微信", "加我微信", "不知道", "没办法"]
    assert phrases[2] == BannedPhrase("不知道", not_after=("您",), not_before=("您", "亲"))
    assert phrases[3].clause_end


def test_syntax_error_names_the_line():
    with pytest.raises(ValueError, match=r"words.txt:2: 'x' is not an exception"):
        parse_banned_words(["加微信", "不知道 x"], "words.txt")


def test_the_shipped_list_parses_and_covers_each_group():
    texts = {p.text for p in parse_banned_words(DEFAULT_WORDS_PATH.read_text(encoding="utf-8").splitlines())}
    assert {"你烦不烦", "爱买不买", "关我什么事", "百分之百", "保证明天到", "加微信", "vx", "私下交易", "去京东买"} <= texts


@pytest.mark.parametrize(
    "reply, span",
    [
        ("有事加 微 信", "加 微 信"),
        ("加.微.信吧", "加.微.信"),
        ("加我v.x", "加我v.x"),
        ("ＶＸ：abc", "ＶＸ"),
        ("加我ＱＱ", "加我ＱＱ"),
        ("你 烦 不 烦", "你 烦 不 烦"),
        ("亲，百分之百明天到", "百分之百"),
    ],
)
def test_spaces_punctuation_and_full_width_do_not_hide_a_phrase(checker, reply, span):
    assert banned(checker, reply) == [span]


@pytest.mark.parametrize(
    "reply",
    [
        "不知道您方便提供一下订单号吗",
        "如果您不知道订单号，可以在我的订单里查看",
        "您可以在订单详情页自己看一下物流哦",
        "也不是没办法，我帮您申请一下",
        "地址没办法直接修改呢，我帮您联系快递",
        "面料是百分之百纯棉的",
        "这款V领的设计很显瘦",
        "USB接口是Type-C的",
        "本店支持微信支付",
        "京东快递送货上门",
        "请勿添加陌生人微信，谨防诈骗",
        "平台不支持私下转账",
        "任何要求您线下转账的都是骗子",
        "我们不能保证明天到，但会尽快发出",
        "您发的图片有点不清楚",
    ],
)
def test_polite_replies_sharing_characters_with_banned_phrases_pass(checker, reply):
    assert banned(checker, reply) == []


@pytest.mark.parametrize(
    "reply, span",
    [
        ("不知道。", "不知道"),
        ("我也不知道什么时候到", "我也不知道"),
        ("没办法，系统就这样", "没办法"),
        ("没办法了", "没办法"),
        ("你自己看", "你自己看"),
        ("你是sb吗", "sb"),
    ],
)
def test_dismissive_uses_are_caught(checker, reply, span):
    assert banned(checker, reply) == [span]


def test_latin_phrases_match_whole_words_only(checker):
    assert banned(checker, "usb线和vxl配件") == []
    assert banned(checker, "加vip会员") == []


def test_longest_phrase_wins_where_several_start(checker):
    violations = checker.check("加我微信")
    assert [(v.detail, v.span) for v in violations] == [("禁用语: 加我微信", "加我微信")]


def test_config_words_are_added_to_the_default_list():
    checker = ReplyChecker(QAConfig(banned_words=["亲爱的", "包邮到家"]))
    assert banned(checker, "亲爱的，包 邮 到 家哦，加微信") == ["亲爱的", "包 邮 到 家", "加微信"]


def test_a_custom_list_file_replaces_the_shipped_one(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("# only this\n发货慢\n", encoding="utf-8")
    checker = ReplyChecker(QAConfig(), default_words_path=words)
    assert banned(checker, "发货慢，加微信") == ["发货慢"]


def test_an_empty_matcher_matches_nothing():
    assert list(PhraseMatcher([]).find("加微信")) == []
