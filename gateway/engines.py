"""The analysis engines, built once at start-up (jieba's dictionary loads here, never on the first customer
message). The emotion engine and the matcher share one jieba tokenizer (about 80 MB each otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from escalation.analysis import Analyzer
from escalation.emotion import EmotionEngine
from escalation.orders import OrderIdFinder
from gateway.bot_client import WebhookBot
from gateway.config import GatewayConfig
from gateway.scripts_service import ScriptsService
from handlers.reply_rules import ReplyChecker
from scripts_lib.faq_bot import FaqBot
from scripts_lib.matcher import shop_tokenizer


def build_analyzer(config: GatewayConfig) -> Analyzer:
    """Emotion, intent and order id, exactly as live messages get them (``python -m gateway analyze`` too)."""
    patterns = config.escalation.order_patterns
    return Analyzer(EmotionEngine(config.escalation.lexicon_dir, tokenizer=shop_tokenizer()),
                    orders=OrderIdFinder(patterns) if patterns else None)


def load_engines(config: GatewayConfig, clock: Callable[[], float]) -> dict[str, Any]:
    engines: dict[str, Any] = {"reply_checker": ReplyChecker(config.qa), "analyzer": build_analyzer(config),
                               "scripts": ScriptsService(config.scripts)}
    engines["bot"] = (WebhookBot(config.bot, clock) if config.bot.engine == "webhook"
                      else FaqBot(lambda: engines["scripts"].matcher, config.bot.min_confidence))
    return engines
