"""The pipeline without I/O: order, stop, fail-open and fail-closed."""

from gateway.context import Context
from gateway.conversation import ConversationState
from gateway.events import AgentReply, CustomerMessage
from gateway.pipeline import Pipeline


class Step:
    def __init__(self, name, log, handles=(CustomerMessage, AgentReply), fail_closed=False, crash=False,
                 stop=False):
        self.name, self.log, self.handles, self.fail_closed = name, log, handles, fail_closed
        self.crash, self.stops, self.failures = crash, stop, []

    async def handle(self, ctx):
        self.log.append(self.name)
        if self.crash:
            raise RuntimeError(f"{self.name} broke")
        if self.stops:
            ctx.stop("enough")

    def on_failure(self, ctx, exc):
        self.failures.append(str(exc))


def _ctx(event=None):
    state = ConversationState(id="cv_1", storefront_id="s", customer_id="u", opened_at=0.0)
    event = event or CustomerMessage("s", "m1", "u", "hi", 0.0)
    return Context(event=event, conversation=state, now=0.0, services=None)


async def test_steps_run_in_order_and_skip_events_they_do_not_handle():
    log = []
    pipeline = Pipeline([Step("a", log), Step("b", log, handles=(AgentReply,)), Step("c", log)])
    await pipeline.run(_ctx())
    assert log == ["a", "c"]


async def test_a_step_can_stop_the_event():
    log = []
    await Pipeline([Step("a", log, stop=True), Step("b", log)]).run(ctx := _ctx())
    assert log == ["a"] and ctx.stopped == "enough"


async def test_a_crashing_fail_open_step_lets_the_event_go_on(caplog):
    log = []
    ctx = _ctx()
    await Pipeline([Step("hints", log, crash=True), Step("forward", log)]).run(ctx)
    assert log == ["hints", "forward"] and ctx.stopped is None
    assert "pipeline step hints failed" in caplog.text


async def test_a_crashing_fail_closed_step_stops_the_event_and_says_why():
    log = []
    qa = Step("qa", log, fail_closed=True, crash=True)
    ctx = _ctx(AgentReply("a1", "cv_1", "c1", "text", 0.0))
    await Pipeline([qa, Step("forward", log)]).run(ctx)
    assert log == ["qa"] and ctx.stopped == "qa_failed" and qa.failures == ["qa broke"]


def test_step_names_must_be_unique():
    import pytest

    with pytest.raises(ValueError):
        Pipeline([Step("a", []), Step("a", [])])
