"""Start-up: rebuild what the state backend lost (the embedded memory backend loses everything on a restart)
from the durable records. Idempotent: with Redis, conversations already in the state are left alone."""

from __future__ import annotations

import logging

from gateway.conversation import ConversationState, customer_key
from gateway.dispatcher import owner_queue
from gateway.presence import GRACE, grace_key
from gateway.services import Services
from handlers.escalation import MARKER as ESCALATION_MARKER
from handlers.escalation import MARKER_TTL, SUPERVISORS, accept_timeout
from handlers.routing import OWNER_WAIT
from handlers.survey import ASKED, rearm_listening
from handlers.tickets import SLA
from handlers.watchdog import IDLE, idle_timer, rearm

log = logging.getLogger(__name__)


async def register_agents(services: Services) -> None:
    for agent in services.config.agents:
        capacity = 0 if agent.role == "supervisor" else agent.max_concurrent
        await services.directory.register(agent.id, agent.role, agent.groups, capacity)


async def restore_conversations(services: Services) -> int:
    restored = 0
    for row in await services.records.open_conversations():
        if await services.state.load(row["id"]) is not None:
            continue
        state = ConversationState(
            id=row["id"], storefront_id=row["storefront_id"], customer_id=row["customer_id"],
            opened_at=row["opened_at"], shop_id=row["shop_id"], customer_name=row["customer_name"],
            order_id=row["order_id"], group=row["group"], agent_id=row["agent_id"],
            assign_reason=row["assign_reason"], first_response_at=row["first_response_at"],
            updated_at=row["updated_at"], waiting_since=row["waiting_since"],
            last_customer_at=row["last_customer_at"], last_agent_at=row["last_agent_at"], data=row["data"] or {},
            status=row["status"], listening_until=row["listening_until"], closed_at=row["closed_at"],
            closed_by=row["closed_by"], resolved=row["resolved"])
        state.seq = await services.records.last_seq(state.id)
        if state.is_open:
            await _restore_open(services, state, row)
        else:
            await rearm_listening(services, state)
        await services.state.save(state)
        await services.state.set_open_conversation(state.customer_key, state.id)
        restored += 1
    return restored


async def _restore_open(services: Services, state: ConversationState, row: dict) -> None:
    if state.agent_id is None:
        queued_at = state.data.setdefault("queued_at", row["opened_at"])
        owner = state.data.get("waiting_for_owner")
        await services.directory.enqueue(state.id, owner_queue(owner) if owner else state.group, queued_at)
    else:
        await services.directory.assign(state.agent_id, state.id, row["opened_at"])
    await rearm_timers(services, state)


async def rearm_timers(services: Services, state: ConversationState) -> None:
    """Pending deadlines of a restored conversation: late by at most the downtime, never twice."""
    for timer in rearm(services, state):
        await services.timers.arm(timer.key, timer.due_at, timer.kind, {"conversation_id": state.id, **timer.payload})
    last = max(t for t in (state.last_customer_at, state.last_agent_at, state.opened_at) if t is not None)
    idle = idle_timer(services, state.id, last)
    await services.timers.arm(idle.key, idle.due_at, IDLE, {"conversation_id": state.id})
    if state.data.get("waiting_for_owner"):
        await services.timers.arm(f"ow:{state.id}", services.clock(), OWNER_WAIT, {"conversation_id": state.id})
    escalation = state.data.get("escalation") or {}
    if escalation.get("status") == "offered":
        await services.state.set_marker(ESCALATION_MARKER, escalation["id"], state.id, MARKER_TTL)
        if escalation.get("offered_to") != SUPERVISORS:
            timeout = accept_timeout(services, state.id, escalation)
            await services.timers.arm(timeout.key, timeout.due_at, timeout.kind,
                                      {"conversation_id": state.id, **timeout.payload})


async def rearm_ticket_slas(services: Services) -> int:
    """Acknowledgement deadlines of open tickets whose deadline has not yet been reported missed. Only the
    memory deadline store forgets them: Redis keeps its deadlines across a restart."""
    if services.config.state.backend != "memory":
        return 0
    teams = {team.id: team for team in services.config.teams}
    armed = 0
    for ticket in await services.records.tickets_awaiting_ack():
        team = teams.get(ticket["team"])
        if team is not None:
            await services.timers.arm(f"tsla:{ticket['id']}", ticket["created_at"] + team.ack_sla, SLA,
                                      {"ticket_id": ticket["id"]})
            armed += 1
    return armed


async def restore_dedupe(services: Services) -> None:
    since = services.clock() - services.config.state.dedupe_window
    for storefront_id, message_id, conversation_id in await services.records.recent_external_ids(since):
        if await services.state.seen_message(storefront_id, message_id) is None:
            await services.state.remember_message(storefront_id, message_id, conversation_id)


async def restore_owners_and_markers(services: Services) -> None:
    now = services.clock()
    for owner in await services.records.live_owners(now):
        if await services.state.owner_of(owner["id"]) is None:
            await services.state.set_owner(owner["id"], owner["agent_id"], owner["expires_at"] - now)
    interval = services.config.survey.min_interval
    for survey in await services.records.surveyed_since(now - interval):
        key = customer_key(survey["storefront_id"], survey["customer_id"])
        await services.state.set_marker(ASKED, key, survey["conversation_id"], survey["sent_at"] + interval - now)


async def arm_disconnect_graces(services: Services) -> None:
    """Agents that hold chats but are connected nowhere (the usual case right after a restart)."""
    due = services.clock() + services.config.watchdog.disconnect_grace
    for presence in await services.directory.all():
        if presence.status == "offline" and presence.assigned:
            await services.timers.arm(grace_key(presence.agent_id), due, GRACE, {"agent_id": presence.agent_id})


async def rehydrate(services: Services) -> None:
    await register_agents(services)
    restored = await restore_conversations(services)
    await restore_dedupe(services)
    await restore_owners_and_markers(services)
    await arm_disconnect_graces(services)
    await rearm_ticket_slas(services)
    if restored:
        log.info("restored %d open conversations from the database", restored)
