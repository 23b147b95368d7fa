"""Hints: which scripts and knowledge entries answer a customer's message, ranked, or none at all.

Plain fuzzy matching is wrong here: on 2–6 character Chinese phrases rapidfuzz confuses questions that differ
in one meaningful character ("什么时候发货" ~ "什么时候有货"). So messages and phrasings become weighted
features (see :func:`analyse`): words carry most of the weight, pinyin pairs catch homophone typos, characters
catch partial words. A weight is the feature's inverse entry frequency times its word's *keyness* — how much
more a shop's questions use the word than everyday Chinese — so 坏 or 退款 count and 什么 or 名字 barely do.

An entry scores the mean of (a) its best phrasing's weighted overlap with the message and (b) how much of the
message its phrasings cover together, each damped while the shared weight is below one solid word's worth
(chit-chat sharing a common word stays low). Fuzzy similarity only adds to (a) for long texts. Intent and
anger adjust the ranking; below the floor there is no hint, because a wrong hint costs more than none.
bench/hint_quality.py measures all of it on labelled chat.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import jieba
from pypinyin import lazy_pinyin
from rapidfuzz.fuzz import ratio

from scripts_lib.library import Library, Script

DEFAULT_MIN_SCORE = 0.31
"""Calibrated with ``bench/hint_quality.py --sweep``: the lowest floor keeping off-topic hints under 5%."""

DEFAULT_INTENT_CATEGORIES: Mapping[str, Sequence[str]] = MappingProxyType({
    "logistics_delay": ("物流查询", "催发货"), "address_change": ("修改地址",), "damaged_goods": ("商品破损", "售后维修"),
    "wrong_item": ("发错货",), "missing_item": ("漏发",), "stock": ("缺货/到货时间",), "refund_return": ("退换货", "退款进度"),
})
INTENT_BOOST = 0.08
EMPATHY_BOOST = 0.05
PAIR_FACTOR, CHAR_FACTOR = 0.5, 0.3  # supporting evidence: weaker than the word they come from
QUERY_SHARE = 0.4  # the message's side of the overlap's denominator; chat messages carry extra words
SOLID_EVIDENCE = 8.0  # shared weight below this damps a score in proportion
FUZZY_MIN_CHARS, FUZZY_WEIGHT = 7, 0.35  # below 7 characters similarity mostly measures shared filler
RANKING_CACHE = 4096
"""Messages whose ranking each matcher remembers: short chat turns ("在吗", "发什么快递") recur all day."""
CANDIDATES = 120  # phrasings scored per message at most (a large library's budget)
_COVERED, _RERANKED = 15, 12  # entries whose whole coverage is computed; then fuzzy-scored
_Ranked = tuple[float, Script]
_NO_VALUES: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One ranked hint, already rendered for the conversation."""

    script_id: str
    text: str
    score: float
    category: str
    kind: str  # "script" | "knowledge"

    def to_dict(self) -> dict:
        """The protocol-v1 ``hint`` suggestion shape."""
        return {"script_id": self.script_id, "text": self.text, "score": self.score, "category": self.category}


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: int  # position of its script in Matcher._entries
    features: frozenset[str]
    weight: float
    content: str  # filler-free text for rapidfuzz
    own_part: float  # its side of the overlap's denominator, (1 - QUERY_SHARE) * weight: computed once


def _phrasing(entry: int, features: frozenset[str], weight: float, content: str) -> _Phrasing:
    return _Phrasing(entry, features, weight, content, (1 - QUERY_SHARE) * weight)


class Matcher:
    """An index over one :class:`Library`; build a new Matcher when the library changes."""

    def __init__(
        self,
        library: Library,
        min_score: float | None = None,
        intent_categories: Mapping[str, Sequence[str]] | None = None,
        cache_size: int = RANKING_CACHE,
    ) -> None:
        self.min_score = DEFAULT_MIN_SCORE if min_score is None else min_score
        self._intent_categories = DEFAULT_INTENT_CATEGORIES if intent_categories is None else intent_categories
        self._entries: tuple[Script, ...] = tuple(library)
        analysed = [(n, *analyse(p)) for n, script in enumerate(self._entries) for p in script.phrasings]
        self._weights, self._unknown_weight = _weights(analysed, len(self._entries))
        self._phrasings = tuple(
            _phrasing(n, frozenset(features), sum(map(self._weights.__getitem__, features)), content)
            for n, features, content in analysed
            if features
        )
        by_entry: defaultdict[int, set[str]] = defaultdict(set)
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for position, phrasing in enumerate(self._phrasings):
            by_entry[phrasing.entry] |= phrasing.features
            for feature in phrasing.features:
                postings[feature].append(position)
        self._entry_features = {entry: frozenset(found) for entry, found in by_entry.items()}
        self._owners = {n: script.owner for n, script in enumerate(self._entries) if script.owner is not None}
        self._owner_ids = frozenset(self._owners.values())
        self._ranked = functools.lru_cache(maxsize=cache_size)(self._rank)
        lengths = [phrasing.weight for phrasing in self._phrasings]
        self._postings = {f: tuple(sorted(found, key=lengths.__getitem__)) for f, found in postings.items()}

    @property
    def entries(self) -> tuple[Script, ...]:
        """The scripts and knowledge entries this matcher ranks."""
        return self._entries

    def match(
        self,
        text: str,
        *,
        intent: str | None = None,
        angry: bool = False,
        agent_id: str | None = None,
        values: Mapping[str, str] = _NO_VALUES,
        limit: int = 3,
    ) -> list[Suggestion]:
        """The best ``limit`` entries for a customer message, rendered with ``values``; [] when none fits well."""
        owner = agent_id if agent_id in self._owner_ids else None  # without scripts of its own, like anyone else
        ranked = self._ranked(text, intent, angry, owner)
        return [_suggest(script, score, values, angry) for score, script in ranked[:limit]]

    def _rank(self, text: str, intent: str | None, angry: bool, agent_id: str | None) -> tuple[_Ranked, ...]:
        """Every entry above the floor as (score, script), best first. Pure for a given matcher, so memoized in
        ``_ranked``: a new matcher (a reload) starts with an empty cache."""
        features, content = analyse(text)
        weights = {feature: weight for feature in features if (weight := self._weight(feature)) > 0}
        if not weights:
            return ()
        boosted = self._intent_categories.get(intent or "", ())
        slack = INTENT_BOOST * bool(boosted) + EMPATHY_BOOST * angry + FUZZY_WEIGHT / 2 * (len(content) >= FUZZY_MIN_CHARS)
        ranked = []
        for entry, (score, phrasing) in self._scores(weights, self.min_score - slack, agent_id):
            script = self._entries[entry]
            score += _fuzzy_bonus(score, content, phrasing.content) / 2
            score += INTENT_BOOST * (script.category in boosted) + EMPATHY_BOOST * (angry and bool(script.empathy))
            if score >= self.min_score:
                ranked.append((min(score, 1.0), script))
        ranked.sort(key=lambda pair: (-pair[0], pair[1].id))
        return tuple(ranked)

    def _weight(self, feature: str) -> float:
        known = self._weights.get(feature)
        if known is not None:
            return known
        # An unknown word is content the library does not answer, unless it is a rare name (a product, a
        # brand): everyday words (电影, 下雨) say the message is about something else. Unknown sounds and
        # characters say nothing.
        return self._unknown_weight * _everyday(feature) if " " not in feature and ":" not in feature else 0.0

    def _scores(self, weights: dict[str, float], floor: float, agent_id: str | None) -> list:
        """Top entries by the mean of best-phrasing overlap and whole-entry coverage, with their best phrasing."""
        total = sum(weights.values())
        query, weigh = frozenset(weights), weights.__getitem__
        best: dict[int, float] = {}
        chosen: dict[int, _Phrasing] = {}
        phrasings, owners, query_part = self._phrasings, self._owners, QUERY_SHARE * total
        for position in self._candidates(weights, total, floor):  # the hot loop: kept to plain operations
            phrasing = phrasings[position]
            shared = sum(map(weigh, phrasing.features & query))
            score = shared * min(1.0, shared / SOLID_EVIDENCE) / (query_part + phrasing.own_part)
            entry = phrasing.entry
            if score > best.get(entry, 0.0) and owners.get(entry, agent_id) == agent_id:
                best[entry], chosen[entry] = score, phrasing
        ranked = []
        for entry, score in heapq.nlargest(_COVERED, best.items(), key=lambda item: item[1]):
            phrasing = chosen[entry]
            shared = sum(map(weigh, self._entry_features[entry] & query))
            ranked.append((entry, ((score + _damped(shared, shared / total)) / 2, phrasing)))
        return sorted(ranked, key=lambda item: -item[1][0])[:_RERANKED]

    def _candidates(self, weights: dict[str, float], total: float, floor: float) -> set[int]:
        """Phrasings sharing the message's weightiest features, at most CANDIDATES of them.

        Features too common to lift any entry to the floor are skipped (an entry sharing only features of total
        weight ``c`` scores at most ``_damped(c, c / (QUERY_SHARE * total + (1 - QUERY_SHARE) * c))``, the
        MaxScore bound). The rest open their postings weightiest first, each cut to the budget left; postings
        list short phrasings first, as those score highest for a shared feature. On the shipped library the
        budget binds for one message in five and changes one labelled top-1 (no top-3); on a 10,000-script
        library it is what keeps a hint within a millisecond.
        """
        common, essential = 0.0, []
        for feature, weight in sorted(weights.items(), key=lambda item: item[1]):
            reach = common + weight
            if _damped(reach, reach / (QUERY_SHARE * total + (1 - QUERY_SHARE) * reach)) < floor:
                common = reach
            else:
                essential.append(feature)
        found: set[int] = set()
        for feature in reversed(essential):
            found.update(self._postings.get(feature, ())[: CANDIDATES - len(found)])
        return found


def _weights(analysed: list[tuple[int, dict, str]], entries: int) -> tuple[dict[str, float], float]:
    """Each feature's weight (inverse entry frequency × kind × keyness of its words), and an unknown word's.

    Counted per entry, not per phrasing: a word in all five phrasings of one script is not a common word.
    """
    found_in: defaultdict[str, set[int]] = defaultdict(set)
    keyness = _keyness([features for _entry, features, _content in analysed])
    key: defaultdict[str, float] = defaultdict(float)
    for entry, features, _content in analysed:
        for feature, sources in features.items():
            found_in[feature].add(entry)
            key[feature] = max(key[feature], min(keyness[word] for word in sources))
    weights = {f: key[f] * _kind(f) * _idf(entries, len(found)) for f, found in found_in.items()}
    return weights, _idf(entries, 0)


def _idf(entries: int, found: int) -> float:
    return math.log(1 + (entries - found + 0.5) / (found + 0.5))


def _kind(feature: str) -> float:
    return PAIR_FACTOR if " " in feature else CHAR_FACTOR if feature.startswith("c:") else 1.0


def _keyness(phrasings: list[dict[str, tuple[str, ...]]]) -> dict[str, float]:
    """How much more the library uses each word than everyday Chinese (jieba's frequencies), as 0.15..1."""
    counts = Counter(feature for features in phrasings for feature, sources in features.items() if sources == (feature,))
    library_total = sum(counts.values())
    tokenizer = shop_tokenizer()
    keyness = {}
    for word, count in counts.items():
        general = 1 if word in _SHOP_WORDS else tokenizer.FREQ.get(word, 0) + 1
        over = (count / library_total) / (general / tokenizer.total)
        keyness[word] = min(1.0, max(0.15, math.log(over) / 6))
    return keyness


def _everyday(word: str) -> float:
    """0.1 for a rare word (a product name), up to 1 for an everyday one, from jieba's frequencies."""
    tokenizer = shop_tokenizer()
    rarity = math.log(tokenizer.total / (tokenizer.FREQ.get(word, 0) + 1))
    return min(1.0, max(0.1, (13 - rarity) / 4))


def _damped(shared: float, score: float) -> float:
    return score * min(1.0, shared / SOLID_EVIDENCE)


def _fuzzy_bonus(score: float, content: str, phrasing: str) -> float:
    """What character similarity adds for long texts (never subtracts): it is only reliable there."""
    if min(len(content), len(phrasing)) < FUZZY_MIN_CHARS:
        return 0.0
    return max(0.0, FUZZY_WEIGHT * (ratio(content, phrasing) / 100 - score))


def _suggest(script: Script, score: float, values: Mapping[str, str], angry: bool) -> Suggestion:
    text = script.render(values, empathy_first=angry)
    return Suggestion(script.id, text, round(score, 3), script.category, script.kind)


# ---------------------------------------------------------------- text analysis (shared with search.py)

# Greetings and chat placeholders ("[图片]"), removed wherever they appear: they carry no question.
_FILLER = re.compile(r"\[[^\]]{1,8}\]|在吗|在嘛|再吗|在不在|有人吗|你好|您好|请问|亲爱的|麻烦问下|问一下|谢谢|多谢|好的|哈喽")
_STOPWORDS = frozenset(
    "的 了 吗 呢 啊 呀 吧 哦 噢 嘛 么 呗 啦 哈 嗯 哎 唉 诶 喂 我 你 您 他 她 这 那 个 是 就 都 也 又 和 跟 与 在 给 帮 把"  # noqa: SIM905
    " 被 让 一 请 亲 我的 我们 你们 您的 你家 你们家 一下 这个 那个 哈哈 嗯嗯 好吧 老板 掌柜 店家 问下 想问 麻烦 现在 然后"
    " 就是 真的 是的 对的 对 嗯呢 ok 好滴 行吧 收到 知道 图片 不好意思 hello hi".split()
)
# Spellings of one thing in chat, folded to the first of each group.
_SYNONYMS = {
    word: group.split()[0]
    for group in """什么时候 啥时候 几时 啥时 几号 哪天 | 怎么 咋 怎样 怎么样 咋样 | 怎么办 咋办 咋弄 怎么弄 | 操作 弄 办理 搞
    | 为什么 为啥 咋回事 怎么回事 | 什么 啥 | 哪里 哪儿 哪 在哪 | 快递 包裹 快件 物流 | 快递员 快递小哥 小哥 派送员 派件员
    | 驿站 菜鸟驿站 快递点 代收点 | 商品 东西 宝贝 货 产品 | 退款 退钱 钱退 | 发票 开发票 开票 | 专票 增值税专用发票 专用发票
    | 尺码 码数 码 码子 尺马 | 能 能不能 可不可以 可以 能否 行不行 行吗 | 没 没有 木有 没得 | 多久 多长时间 几天 多少天
    | 电话 手机号 手机号码 联系电话 号码 | 一直 老是 总是 | 优惠券 优惠卷 卷 券 | 发 寄 | 发错 寄错 给错 错发
    | 正品 真货 正版 假货 保真 假的 | 保价 价保 价格保护 | 降价 降了 掉价 降 | 缺货 没货 断货 卖完 售罄 没库存 卖光
    | 吊牌 标签 | 收费 要钱 花钱 付费 | 人工 真人 人工客服 | 保修 质保 | 维修 修理 送修 寄修 修 | 安装 装 | 差评 一星 中评
    | 投诉 举报 消协 | 主管 领导 经理 负责人 | 活动 大促 双11 双十一 | 取消 撤销 撤回 | 驳回 拒绝 被拒 | 运费 邮费
    | 价格 价钱 多少钱 | 打折 折扣 | 现货 现成 | 到货 补货 来货 进货 | 下架 停产 | 通知 提醒 | 赠品 礼物 小礼物 礼品
    | 充电线 充电器 数据线 | 生气 气死 气炸 | 着急 急 急死 急用 | 坏 坏掉 损坏 破损 烂 碎 裂 裂开 摔碎 破 | 漏 漏液 洒 撒
    | 少 缺 缺少 | 拒收 拒签 | 返现 返钱""".split("|")  # noqa: SIM905
    for word in group.split()[1:]
}
# Shop words that jieba's general dictionary splits badly ("没收到货" would become 没收/到货, "confiscate").
_SHOP_WORDS = frozenset(
    "什么时候 有货 没货 缺货 补货 收到货 没收到 运费险 七天无理由 无理由 快递柜 仅退款 少发 漏发 多发 发错 错发 寄错 给错"  # noqa: SIM905
    " 好评返现 能不能 退差价 保价 价保 满减 专票 驿站 拦截 拒收 拒签 改地址 坏果 色差 起球 掉色 到手价 预售 尾款 定金 气死"
    " 气炸 真货 快递小哥 开不了机 充不上电 保真".split()
)
_COUNTED = re.compile(r"[一二两三四五六七八九十百几]+(个|件|包|斤|天|次|双|瓶|盒|箱|块|元|岁|周|遍|份|单|小时|个月|年)")
_LETTER_SIZES = frozenset("xs s m l xl xxl xxxl 2xl 3xl 4xl".split())  # noqa: SIM905


def analyse(text: str) -> tuple[dict[str, tuple[str, ...]], str]:
    """Features of a message, each with the content words it comes from, and its filler-free content.

    Features are content words (synonyms folded) and, from the words as typed, pinyin syllable pairs (which a
    homophone typo such as 快第 shares with 快递) and characters ("c:" + character).
    """
    surface = [word for word in shop_tokenizer().cut(normalise(text), HMM=False) if word.strip() and word not in _STOPWORDS]
    words = [_canonical(word) for word in surface]
    features: dict[str, tuple[str, ...]] = {}
    previous: tuple[str, str] | None = None
    for word, spelled in zip(words, surface):
        features[word] = (word,)
        syllables = pinyin(spelled)
        if previous is not None:
            features.setdefault(f"{previous[0]} {syllables[0]}", (previous[1], word))
        for first, second in itertools.pairwise(syllables):
            features.setdefault(f"{first} {second}", (word,))
        for char in "" if spelled.isascii() else spelled:
            features.setdefault(f"c:{char}", (word,))
        previous = (syllables[-1], word)
    return features, "".join(words)


def _canonical(word: str) -> str:
    """Synonyms folded; numbers and letter sizes are slot values, so any one matches any other."""
    if word.isdigit():
        return "#"
    return "尺码" if word in _LETTER_SIZES else _SYNONYMS.get(word, word)


def normalise(text: str) -> str:
    """Half-width, lower-case, filler and punctuation removed (punctuation becomes a word break), and counted
    amounts ("三个", "十几天") written as 0 so that they read as a number."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _COUNTED.sub(r"0\1", _FILLER.sub(" ", text))
    return re.sub(r"[^\w]+", " ", text)


def pinyin(word: str) -> list[str]:
    """Toneless syllables of a word; a run of Latin letters or digits counts as one syllable."""
    return [word] if word.isascii() else [_syllable(char) for char in word]


@functools.cache
def _syllable(char: str) -> str:
    # Per character, so a character reads the same in a phrasing and in a message whatever its context.
    return lazy_pinyin(char)[0]


@functools.cache
def shop_tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer with the shop words, so the global one other packages use stays as it is.

    Built once per process (about 0.6 s; building a Matcher at start-up does it), jieba's messages silenced.
    """
    tokenizer = jieba.Tokenizer()
    log = logging.getLogger("jieba")
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        tokenizer.initialize()
    finally:
        log.setLevel(level)
    for word in _SHOP_WORDS:
        tokenizer.add_word(word, freq=100_000)
    return tokenizer
