"""Does the customer ask for a person? "转人工", "人工客服", "找客服", "真人", "你是机器人吗" and the like.

Pure and small: regexes over the normalised text. The words that ask for a person are also everyday words
(人工费, 人工智能, 真人大小, 客服态度很好, human hair, delivery agent), so each counts only in a request's
shape: after a verb that asks for it (转/找/叫/要…人工), or alone with a particle or punctuation after it
("人工!", "客服呢", "真人客服在吗"), or as a question about the bot ("你是机器人吗"). A negation just before it
("不用转人工了", "不需要人工", "没必要找客服") or a mention of a past agent ("刚才的客服", "谢谢客服") is not a
request; refusing the bot ("不要机器人", "别自动回复了") is one, negation and all. bench/bot_quality.py measures
it on labelled turns; the chatbot tier hands over on any hit.
"""

from __future__ import annotations

import re
import unicodedata

_TAIL = r"(?=$|[,，.。!！?？~～、…]|[呢吧啊呀吗嘛么哦哈]|在|快|来|出来|过来|谢|电话|热线)"
_SERVICE = r"(?:客服|服务|坐席|座席|台|帮助|处理|接待|回复|回答|介入)"
_ADDRESS = r"(?:小姐姐|小哥哥|姐姐|哥哥|妹妹|美女|帅哥|亲)?"
_PERSON = r"(?:真人|活人)"
_BOSS = r"(?:主管|领导|经理|店长|老板|负责人|能做主的人|管事的)"

_REQUEST = re.compile("|".join([
    r"转\s*(?:接|个|一下|到|给)?\s*(?:人工|真人|客服)",                     # 转人工, 转接人工, 转个客服
    rf"人工{_SERVICE}(?!费)|人工{_TAIL}",                                        # 人工客服, 人工服务, 人工!, 人工呢
    rf"{_PERSON}{_SERVICE}|{_PERSON}{_TAIL}",                               # 真人客服, 真人!!, 活人在吗
    rf"(?:找|叫|要|换|让|请|接|联系|呼叫|给我)\s*(?:个|一个|位|一位|你们的?)?\s*(?:{_PERSON}|客服)",
    rf"客服{_ADDRESS}(?:呢|在|快?(?:来|出来|过来)|电话|热线|人员|人呢)|客服{_ADDRESS}(?=$|[!！?？])",
    rf"小二{_TAIL}",                                                        # 淘宝 calls its agents 小二
    rf"(?:找|叫|让|要|把|请)\s*(?:个|一个)?\s*(?:你们的?)?\s*{_BOSS}",      # 叫你们主管出来, 把你们店长叫来
    r"(?:叫|找)\s*(?:个|一个)?\s*人(?:来|过来|出来|回答|回复|处理|$|[,，.。!！?？吧])|换\s*(?:个|一个)?\s*人(?!民)",
    r"(?:要|想)\s*找\s*(?:个|一个)?\s*人(?:$|[,，.。!！?？吧]|来|问|说|聊|处理)",
    r"(?:跟|和|同)\s*(?:真人|人工|客服|人)\s*(?:说|聊|讲|沟通|对话)(?!过)",  # 我要跟人说话, 跟客服说
    r"(?:找|叫|换|要)\s*(?:个|一个|位)?\s*(?:能|会|懂)[^,，.。!！?？]{0,6}的人",  # 找个能解决的人
    r"(?:^|[,，.。!！?？])人(?:呢|去哪|都去哪|在哪)",                      # 人呢
    r"有(?:没有)?\s*(?:人工|真人|活人|客服)(?:客服)?(?:吗|么|嘛|在|$|[?？])",
    r"(?:你|您)\s*(?:到底|究竟|真的)?\s*(?:是|是不是)\s*"
    r"(?:真人|机器人|机器|ai|bot|人工智能|智能客服|自动回复|客服|人(?=还是|吗|吧|嘛|呢|$|[?？]))",
    r"是\s*(?:不是)?\s*(?:机器人|自动回复|ai|bot)(?=吗|吧|嘛|呢|在|回|$|[?？])",
    r"机器人吗",
]))
_REFUSES_BOT = re.compile(
    r"(?:不要|别|不想|不愿意?|不跟|不和|受够了?)[^,，.。!！?？]{0,4}(?:机器人|机器|自动回复|ai|bot)"
    r"|(?:机器人|机器)(?:走开|滚|听不懂|说不清|说不明白|没用)|(?:跟|和)机器人?说不(?:清|通|明白)")
_ENGLISH = re.compile(
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|some\s*)?(?:real\s+|live\s+)?"
    r"(?:human|person|agent|one|representative|rep|staff|operator)\b"
    r"|\b(?:want|need|get|call|give\s+me|connect\s+me\s+(?:to|with)|transfer\s+me\s+to)\s+(?:to\s+)?(?:a\s+|an\s+)?"
    r"(?:real\s+|live\s+)?(?:human|person|agent|representative|operator)\b"
    r"|\b(?:human|agent|operator)\s*(?:please|pls|plz)\b|\breal\s+(?:person|human)\b|\blive\s+agent\b"
    r"|\b(?:are\s+you|is\s+this)\s+(?:a\s+|an\s+)?(?:bot|robot|human|automated|real\s+person)\b"
    r"|\bcustomer\s+service\s*(?:please|pls|plz)\b|\b(?:talk|speak)\s+to\s+customer\s+service\b")
_NOT_ASKING = re.compile(
    r"(?:(?<!什么)(?<!怎么)(?<!为啥)不|不用|不需要?|不必|无需|没必要|用不着|不要|别|不想|甭|免了?"
    r"|谢谢|感谢|辛苦|之前的?|刚才的?|刚刚的?|上次的?|那个|已经)\s*(?:再|去)?\s*$")


def asks_for_human(text: str) -> str | None:
    """The phrase that asks for a person, or None."""
    spaced = unicodedata.normalize("NFKC", text).lower()
    if found := _ENGLISH.search(spaced):
        return found.group()
    compact = re.sub(r"\s+", ",", spaced.strip())
    if found := _REFUSES_BOT.search(compact):
        return found.group()
    for found in _REQUEST.finditer(compact):
        if not _NOT_ASKING.search(compact[max(0, found.start() - 6):found.start()]):
            return found.group()
    return None
