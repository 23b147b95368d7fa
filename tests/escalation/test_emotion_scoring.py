"""Scoring of single customer messages, with and without their conversation."""

from __future__ import annotations

import json
import shutil

import pytest

from escalation.emotion import ANGRY_AT, Emotion, EmotionEngine, Turn
from escalation.sentiment import DEFAULT_LEXICON_DIR


@pytest.mark.parametrize("text", [
    "请问这个有没有白色的", "帮我查下订单什么时候能发货", "在吗", "好的", "亲，发什么快递", "尺码偏大还是偏小",
    "可以开发票吗", "怎么退款", "我身高165体重110穿什么码", "订单号4512873390123", "地址写错了，能改一下吗",
])
def test_ordinary_questions_stay_neutral(engine: EmotionEngine, text: str) -> None:
    emotion = engine.score(text)
    assert emotion.label == "neutral", emotion
    assert abs(emotion.score) < 0.3 and emotion.anger < 0.3
    assert emotion.hard_trigger is None


def test_negation_flips_praise(engine: EmotionEngine) -> None:
    praised, negated = engine.score("很满意"), engine.score("不是很满意")
    assert praised.label == "positive" and praised.score > 0.5
    assert negated.label == "negative" and negated.score <= -0.3
    assert "negated:满意" in negated.evidence


def test_negated_problem_is_not_negative(engine: EmotionEngine) -> None:
    assert engine.score("没有问题").score > 0
    assert engine.score("有问题").score < 0


def test_negated_complaint_threat_is_no_trigger(engine: EmotionEngine) -> None:
    calm = engine.score("我不会给差评的，放心")
    threat = engine.score("不给我退我就给差评")
    assert calm.hard_trigger is None and "negated:给差评" in calm.evidence
    assert threat.hard_trigger == "complaint_channel"


@pytest.mark.parametrize("text", ["我要打12315", "我要去微博曝光你们", "你们等着，我去消协", "叫你们领导来"])
def test_complaint_channels_are_hard_triggers(engine: EmotionEngine, text: str) -> None:
    assert engine.score(text).hard_trigger == "complaint_channel"


def test_complaint_number_inside_an_order_number_is_not_a_channel(engine: EmotionEngine) -> None:
    assert engine.score("订单号4512315889").hard_trigger is None


@pytest.mark.parametrize("text", ["你是傻逼吗", "nmsl", "tmd又发错了", "fucking useless service"])
def test_abuse_is_angry_and_a_hard_trigger(engine: EmotionEngine, text: str) -> None:
    emotion = engine.score(text)
    assert emotion.hard_trigger == "abuse"
    assert emotion.label == "angry"


@pytest.mark.parametrize("text", ["滚筒洗衣机能用吗", "我妈妈的手机号填错了", "垃圾袋有大号的吗", "你好，我买的空气炸锅怎么清洗",
                                  "工商银行卡能付吗", "要一星期才能到吗"])
def test_words_inside_other_words_do_not_count(engine: EmotionEngine, text: str) -> None:
    emotion = engine.score(text)
    assert emotion.hard_trigger is None
    assert emotion.anger < 0.3, emotion


def test_question_and_exclamation_runs_raise_anger(engine: EmotionEngine) -> None:
    one, three = engine.score("什么时候发货？"), engine.score("什么时候发货？？？")
    assert "signal:punctuation_run_3" in three.evidence
    assert three.anger > one.anger + 0.3
    assert engine.score("我！要！退！款！").anger > 0.5


def test_cheerful_exclamations_stay_positive(engine: EmotionEngine) -> None:
    emotion = engine.score("谢谢！！！")
    assert emotion.label == "positive"
    assert emotion.anger < 0.4


def test_repeated_question_raises_anger_each_time(engine: EmotionEngine) -> None:
    asked = Turn("customer", "退款什么时候到账")
    reply = Turn("agent", "亲，已经在处理了")
    first = engine.score("退款什么时候到账")
    second = engine.score("退款什么时候到账", [asked, reply])
    third = engine.score("我问你退款什么时候到账", [asked, reply, asked, reply])
    assert first.anger < 0.2
    assert "signal:repeated_question_x2" in second.evidence
    assert "signal:repeated_question_x3" in third.evidence
    assert first.anger < second.anger < third.anger
    assert third.label == "angry"


def test_a_repeated_ping_counts_less_than_a_repeated_question(engine: EmotionEngine) -> None:
    ping = engine.score("在吗", [Turn("customer", "在吗")])
    question = engine.score("发货了吗", [Turn("customer", "发货了吗")])
    assert "signal:repeated_question_x2" in ping.evidence
    assert ping.anger < 0.35 < question.anger


def test_acknowledgements_are_not_repeated_questions(engine: EmotionEngine) -> None:
    emotion = engine.score("好的", [Turn("customer", "好的"), Turn("agent", "已备注"), Turn("customer", "好的")])
    assert not any(e.startswith("signal:repeated") for e in emotion.evidence)
    assert emotion.anger == 0


def test_similar_but_different_questions_are_not_repeats(engine: EmotionEngine) -> None:
    emotion = engine.score("什么时候有货", [Turn("customer", "什么时候发货"), Turn("agent", "48小时内")])
    assert not any(e.startswith("signal:repeated") for e in emotion.evidence)


def test_waiting_raises_anger_more_when_impatient(engine: EmotionEngine) -> None:
    calm_now, calm_waited = engine.score("在吗"), engine.score("在吗", waited_s=600)
    impatient = engine.score("人呢？？？", waited_s=600)
    assert "signal:waited_600s" in calm_waited.evidence
    assert calm_now.anger < calm_waited.anger < 0.5
    assert calm_waited.label == "neutral"
    assert impatient.label == "angry" and impatient.anger > 0.9


def test_waiting_is_derived_from_turn_times(engine: EmotionEngine) -> None:
    context = [Turn("agent", "您好", at=0.0), Turn("customer", "发货了吗", at=10.0), Turn("customer", "在吗", at=400.0)]
    emotion = engine.score("人呢", context)
    assert "signal:waited_390s" in emotion.evidence
    assert "signal:waited_390s" not in engine.score("人呢", [*context, Turn("agent", "在的", at=410.0)]).evidence


def test_waiting_does_not_lower_the_score(engine: EmotionEngine) -> None:
    assert engine.score("好的，谢谢", waited_s=600).score == engine.score("好的，谢谢").score


def test_agent_repeating_a_canned_reply_is_a_signal(engine: EmotionEngine) -> None:
    canned = Turn("agent", "亲，请耐心等待")
    context = [Turn("customer", "退款怎么还没到"), canned, Turn("customer", "等了十天了"), canned]
    emotion = engine.score("你除了这句还会说什么", context)
    assert "signal:agent_repeated_reply" in emotion.evidence
    assert emotion.anger > engine.score("你除了这句还会说什么").anger


def test_agent_words_thrown_back_as_a_question(engine: EmotionEngine) -> None:
    emotion = engine.score("退一半？全烂了", [Turn("agent", "亲，给您退一半")])
    assert "signal:echo_question" in emotion.evidence
    assert "signal:echo_question" not in engine.score("是正品吗？", [Turn("agent", "我们是正品")]).evidence


@pytest.mark.parametrize("text, label", [("😡😡😡", "angry"), ("🤬", "angry"), ("👍", "positive"),
                                         ("谢谢😊", "positive"), ("[愉快]", "positive"), ("😂😂", "neutral")])
def test_emoji(engine: EmotionEngine, text: str, label: str) -> None:
    assert engine.score(text).label == label


def test_traditional_characters_score_like_simplified(engine: EmotionEngine) -> None:
    traditional, simplified = engine.score("你們這什麼服務態度，氣死我了"), engine.score("你们这什么服务态度，气死我了")
    assert traditional == simplified
    assert traditional.label == "angry"
    assert engine.score("我要投訴你們").hard_trigger == "complaint_channel"
    assert engine.score("請問這個有現貨嗎").label == "neutral"


def test_full_width_and_mixed_scripts(engine: EmotionEngine) -> None:
    assert engine.score("退款refund什么时候到").label == "neutral"
    assert engine.score("ｔｍｄ又发错了").hard_trigger == "abuse"
    scam = engine.score("this is a scam，退钱")
    assert scam.label == "angry" and "lexicon:scam" in scam.evidence


def test_english_in_capitals_is_shouting(engine: EmotionEngine) -> None:
    assert "signal:all_caps" in engine.score("WHERE IS MY REFUND").evidence
    assert "signal:all_caps" not in engine.score("USB HDMI线有吗").evidence


def test_sarcasm_turns_praise_into_anger(engine: EmotionEngine) -> None:
    mocking = engine.score("呵呵，真是好样的")
    assert mocking.label == "angry"
    again = engine.score("又延迟发货了👍👍真棒")
    assert "signal:sarcastic_praise" in again.evidence
    assert again.label != "positive" and again.score < 0


def test_long_review_keeps_praise_and_blame_apart(engine: EmotionEngine) -> None:
    review = "客服态度很差，回复也慢，但是东西本身质量还不错，包装也很结实，物流挺快的，总体来说还算可以吧"
    assert "signal:sarcastic_praise" not in engine.score(review).evidence


def test_labels_follow_the_documented_thresholds(engine: EmotionEngine) -> None:
    for text in ("太过分了", "有点失望", "很满意", "好的", "我要投诉", "人呢"):
        emotion = engine.score(text)
        expected = ("angry" if emotion.anger >= ANGRY_AT else "negative" if emotion.score <= -0.3
                    else "positive" if emotion.score >= 0.3 else "neutral")
        assert emotion.label == expected, emotion


def test_to_dict_is_json(engine: EmotionEngine) -> None:
    emotion = engine.score("我要投诉！！")
    data = json.loads(json.dumps(emotion.to_dict()))
    assert data == {"score": emotion.score, "anger": emotion.anger, "label": "angry",
                    "evidence": list(emotion.evidence), "hard_trigger": "complaint_channel"}
    assert Emotion(**{**data, "evidence": tuple(data["evidence"])}) == emotion


def test_configured_lexicon_directory_is_used(tmp_path) -> None:
    lexicons = tmp_path / "lexicons"
    shutil.copytree(DEFAULT_LEXICON_DIR, lexicons)
    with (lexicons / "anger.txt").open("a", encoding="utf-8") as anger:
        anger.write("蜗牛速度 1.5\n")
    assert EmotionEngine(lexicons).score("蜗牛速度").label == "angry"


def test_a_phrase_in_two_lexicon_files_is_refused(tmp_path) -> None:
    lexicons = tmp_path / "lexicons"
    shutil.copytree(DEFAULT_LEXICON_DIR, lexicons)
    with (lexicons / "positive.txt").open("a", encoding="utf-8") as positive:
        positive.write("投诉 0.5\n")
    with pytest.raises(ValueError, match="'投诉' is listed in positive.txt and complaint.txt"):
        EmotionEngine(lexicons)


class CharacterTokenizer:
    """Stands in for a jieba tokenizer another package already loaded: one token per character."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def initialize(self) -> None:
        self.calls.append("initialize")

    def lcut(self, text: str, HMM: bool = True) -> list[str]:  # noqa: N803 - jieba's own keyword
        self.calls.append(text)
        return list(text)


def test_a_shared_tokenizer_is_used_instead_of_jiebas_global_one() -> None:
    tokenizer = CharacterTokenizer()
    emotion = EmotionEngine(tokenizer=tokenizer).score("我要投诉")
    assert tokenizer.calls == ["initialize", "我要投诉"]
    assert emotion.hard_trigger == "complaint_channel"
