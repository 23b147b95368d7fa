"""The ordered pipeline: every step sees every event it handles, in one written order, until one stops it.

Each step says in code whether it fails open (a crash is logged and the event goes on: a broken hint matcher
must never swallow a customer message) or closed (a crash stops the event: a broken reply check holds the reply
back). A step may define ``on_failure(ctx, exc)`` to say what the stop means to the sender.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from gateway.context import Context

log = logging.getLogger(__name__)


class Step(Protocol):
    name: str
    handles: tuple[type, ...]
    fail_closed: bool

    async def handle(self, ctx: Context) -> None: ...


class Pipeline:
    def __init__(self, steps: Sequence[Step]) -> None:
        names = [s.name for s in steps]
        if len(names) != len(set(names)):
            raise ValueError(f"pipeline step names must be unique: {names}")
        self.steps = tuple(steps)

    async def run(self, ctx: Context) -> None:
        for step in self.steps:
            if ctx.stopped:
                return
            if isinstance(ctx.event, step.handles):   # checked per step: a step may turn the event into another
                try:
                    await step.handle(ctx)
                except Exception as exc:   # noqa: BLE001 - each step says itself whether a crash stops the event
                    _failed(step, ctx, exc)


def _failed(step: Step, ctx: Context, exc: Exception) -> None:
    """A step crashed: logged; a fail-closed step also stops the event and says what that means to the sender."""
    conversation = ctx.conversation.id if ctx.conversation else None
    log.exception("pipeline step %s failed on %s (conversation %s)", step.name, type(ctx.event).__name__,
                  conversation)
    if step.fail_closed:
        ctx.stop(f"{step.name}_failed")
        on_failure = getattr(step, "on_failure", None)
        if on_failure is not None:
            on_failure(ctx, exc)
        else:
            ctx.reject(500, "internal_error", f"the gateway failed in {step.name}; it was logged")
