"""Reading the customer's reply to the one-question post-chat survey.

Pure: the survey step calls :func:`parse_survey_answer` on the customer's next message inside the answer
window. Anything that is not clearly an answer returns None, because a swallowed message is worse than an
unanswered survey: a new question or complaint must reach an agent.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# answer word -> (resolved, rating on a 5-point scale); a message is read as answer words and fillers.
_WORDS: dict[str, tuple[bool | None, int | None]] = {
    **dict.fromkeys(("已解决", "解决了", "解决啦", "搞定了", "好了", "可以了", "没问题了", "没问题"), (True, None)),
    **dict.fromkeys(("是", "是的", "对", "对的", "嗯", "嗯嗯", "恩", "恩恩", "有用", "有帮助"), (True, None)),
    **dict.fromkeys(("谢谢", "感谢", "多谢", "谢了", "谢谢你", "谢谢您", "辛苦了"), (True, None)),
    **dict.fromkeys(("好的", "好", "ok", "okay", "行", "收到", "好滴", "好嘞", "知道了"), (True, None)),
    **dict.fromkeys(("没有", "没", "否", "不是", "没解决", "未解决", "没有解决", "还没解决", "没用"), (False, None)),
    **dict.fromkeys(("还没有", "还没", "不行", "没帮助", "没有用", "还是没解决", "问题没解决"), (False, None)),
    **dict.fromkeys(("非常满意", "很满意", "超级满意", "特别满意", "满分", "好评", "五星好评", "赞"), (True, 5)),
    **dict.fromkeys(("满意", "挺满意", "比较满意", "还不错", "不错"), (True, 4)),
    **dict.fromkeys(("一般", "还行", "还可以", "凑合", "中评"), (None, 3)),
    **dict.fromkeys(("不满意", "不太满意", "不是很满意", "不怎么样"), (False, 2)),
    **dict.fromkeys(("非常不满意", "很不满意", "特别不满意", "差评", "太差了", "很差", "垃圾"), (False, 1)),
    **dict.fromkeys(("👍", "❤", "💯", "🌹"), (True, 5)),
    **dict.fromkeys(("👌", "🙂", "😊", "😀", "😄", "😁", "🙏"), (True, 4)),
    **dict.fromkeys(("😐",), (None, 3)),
    **dict.fromkeys(("🙁", "😞", "☹"), (False, 2)),
    **dict.fromkeys(("👎", "😡", "😠", "😤", "💢"), (False, 1)),
}
_FILLER = r"[\s,.;:!~、。…]|亲|啦|了|呀|啊|哦|噢|哈|呢|的|吧|嘛|哒|滴|喔|昂"
_SEPARATOR = re.compile(r"[\s,.;:!~、。…)\]]")
_WORD = re.compile("|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True)))
_FILLERS = re.compile(f"(?:{_FILLER})*")
_DIGIT = re.compile(r"([0-9]|[一二三四五六七八九十](?=分|星|颗))(分|星|颗星)?(?!\.[0-9])(?=[\s,.;:!~、。…)\]]|$)")
_CN_DIGITS = "一二三四五六七八九十"
_NEW_TOPIC = re.compile(
    r"[?]|吗|请问|问一下|问下|问个|想问|咨询|还有(?:个|一个|些|件)?(?:问题|事)|另外|顺便|怎么|什么|为什么|为啥"
    r"|多久|几时|哪|能不能|可不可以|要不要|帮我"
)
_DROP = dict.fromkeys(map(ord, "\ufe0f\u20e3\u200d"), None) | dict.fromkeys(range(0x1F3FB, 0x1F400), None)
_MAX_CHARS = 40  # longer than this is a message, not an answer
_MAX_TAIL = 15  # words after an answer word ("没有，快递还没到") may explain it, briefly


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """A recorded survey answer: ``resolved`` None is an answer without a yes/no ("一般")."""

    resolved: bool | None
    rating: int | None
    raw: str

    def to_dict(self) -> dict:
        return {"resolved": self.resolved, "rating": self.rating, "raw": self.raw}


def parse_survey_answer(text: str, scale: int | None = None) -> SurveyAnswer | None:
    """The answer in ``text``, or None when it is not an answer and must be handled as a normal message.

    ``scale`` is the top of the rating scale when the question asks for a score (1..scale); without it
    the question is the default "回复 1 已解决，2 未解决".
    """
    norm = unicodedata.normalize("NFKC", text).translate(_DROP).strip().lower()
    if not norm or len(norm) > _MAX_CHARS:
        return None
    digit = _DIGIT.match(norm)
    if digit:
        return _digit_answer(digit, text, scale)
    return _word_answer(norm, text, scale)


def _digit_answer(match: re.Match[str], raw: str, scale: int | None) -> SurveyAnswer | None:
    """"1", "2 我的快递还没到", "5分": the digit is the answer, whatever follows it."""
    value = _number(match.group(1))
    if scale is not None:
        return SurveyAnswer(None, value, raw) if 1 <= value <= scale else None
    if match.group(2):  # "5分" to a yes/no question: a score out of 5 still says how it went
        return SurveyAnswer(_resolved_from_rating(value), None, raw) if 1 <= value <= 5 else None
    if value in (1, 2):
        return SurveyAnswer(value == 1, None, raw)
    return None


def _word_answer(norm: str, raw: str, scale: int | None) -> SurveyAnswer | None:
    """"好的谢谢", "没有，还是没收到": answer words first, then at most a short remark that asks nothing."""
    consumed, hints = _leading_words(norm)
    tail = norm[consumed:]
    if not hints or (tail and not _SEPARATOR.match(norm[consumed - 1])):
        return None
    if len(tail) > _MAX_TAIL or _NEW_TOPIC.search(tail):
        return None
    resolved, rating = _combine(hints)
    return SurveyAnswer(resolved, _on_scale(rating, scale), raw)


def _leading_words(text: str) -> tuple[int, list[tuple[bool | None, int | None]]]:
    """Answer words read from the start, skipping fillers; returns where they end and their meanings."""
    hints: list[tuple[bool | None, int | None]] = []
    position = consumed = _FILLERS.match(text).end()
    while word := _WORD.match(text, position):
        hints.append(_WORDS[word.group()])
        consumed = _FILLERS.match(text, word.end()).end()
        position = consumed
    return (consumed if hints else 0), hints


def _combine(hints: list[tuple[bool | None, int | None]]) -> tuple[bool | None, int | None]:
    """Any "no" outweighs politeness ("好的，没解决"); the rating follows the verdict."""
    verdicts = {resolved for resolved, _ in hints}
    resolved = False if False in verdicts else True if True in verdicts else None
    ratings = [rating for _, rating in hints if rating is not None]
    if not ratings:
        return resolved, None
    return resolved, min(ratings) if resolved is False else max(ratings)


def _on_scale(rating: int | None, scale: int | None) -> int | None:
    if rating is None or scale is None:
        return None
    return max(1, min(scale, round(rating * scale / 5)))


def _resolved_from_rating(value: int) -> bool | None:
    return True if value >= 4 else False if value <= 2 else None


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _CN_DIGITS.index(token) + 1
