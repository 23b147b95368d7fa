"""The external chatbot (``bot.engine: webhook``, protocol-v1 §6): a signed ``bot.turn`` POST per customer
message. A bot that errs, times out or has failed repeatedly (circuit breaker) hands the conversation to a
person at once: the customer never waits on a dead bot. One immediate retry on a refused connection, within
the same time budget."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

from gateway.breaker import Breaker
from gateway.signing import sign
from handlers.bot_config import BotConfig
from scripts_lib.faq_bot import BotAnswer


class WebhookBot:
    def __init__(self, config: BotConfig, clock=time.time) -> None:
        self.config, self.clock = config, clock
        self.breaker = Breaker(config.breaker_threshold, config.breaker_cooldown)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._session:
            await self._session.close()

    async def turn(self, text: str, *, conversation_id: str, customer_id: str, history: list[dict[str, Any]],
                   **_) -> BotAnswer:
        if self.breaker.wait_for(self.clock()) > 0:
            return BotAnswer(None, 0.0, handoff=True, reason="bot_unavailable")
        body = json.dumps({"type": "bot.turn", "conversation_id": conversation_id, "customer_id": customer_id,
                           "text": text, "history": history}, ensure_ascii=False).encode()
        deadline = time.monotonic() + self.config.timeout
        answer = await self._call(body, deadline)
        if answer.reason == "bot_unreachable" and time.monotonic() < deadline:
            answer = await self._call(body, deadline)
        self.breaker.record(answer.reason not in ("bot_error", "bot_timeout", "bot_unreachable"), self.clock())
        return answer

    async def _call(self, body: bytes, deadline: float) -> BotAnswer:
        headers = {"Content-Type": "application/json"}
        if self.config.secret:
            headers["X-Signature"] = sign(self.config.secret, body)
        timeout = aiohttp.ClientTimeout(total=max(0.05, deadline - time.monotonic()))
        try:
            async with self._session.post(self.config.webhook_url, data=body, headers=headers,
                                          timeout=timeout) as response:
                if response.status != 200:
                    return BotAnswer(None, 0.0, handoff=True, reason="bot_error")
                return _parse(await response.json(content_type=None))
        except asyncio.TimeoutError:
            return BotAnswer(None, 0.0, handoff=True, reason="bot_timeout")
        except aiohttp.ClientConnectionError:
            return BotAnswer(None, 0.0, handoff=True, reason="bot_unreachable")
        except (aiohttp.ClientError, ValueError):
            return BotAnswer(None, 0.0, handoff=True, reason="bot_error")


def _parse(data: Any) -> BotAnswer:
    if not isinstance(data, dict):
        return BotAnswer(None, 0.0, handoff=True, reason="bot_error")
    reply = data.get("reply") if isinstance(data.get("reply"), str) and data.get("reply") else None
    confidence = data.get("confidence")
    confidence = float(confidence) if isinstance(confidence, (int, float)) else 0.0
    if data.get("handoff") is True:
        return BotAnswer(reply, confidence, handoff=True, reason=str(data.get("reason") or "bot_handoff"))
    return BotAnswer(reply, max(0.0, min(1.0, confidence)))
