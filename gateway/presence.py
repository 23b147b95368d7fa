"""Presence changes and what follows them, fed through the dispatcher like every other event.

- An agent (re)connects or comes back from ``away``: its disconnect grace is cancelled, conversations of its
  customers that waited for it or went elsewhere unanswered come back to it, then the queue is offered to it.
- An agent's last socket drops: after ``watchdog.disconnect_grace`` without reconnecting, each of its open
  conversations is reassigned (``reason: "reassign"``).
- A gateway process dies (SIGKILL, a lost machine): it cannot drop its agents' sockets itself, so every process
  keeps a heartbeat and another one forgets the dead one's sockets; an agent left with none goes offline as
  above (scale-out only: one process's memory state dies with it).
"""

from __future__ import annotations

from gateway.events import RouteRequest

GRACE = "presence_grace"


def grace_key(agent_id: str) -> str:
    return f"grace:{agent_id}"


class PresenceEvents:
    def __init__(self, services, dispatcher) -> None:
        self.services = services
        self.dispatcher = dispatcher

    async def came_online(self, agent_id: str) -> None:
        await self.services.timers.cancel(grace_key(agent_id))
        for conversation_id in await self.services.state.take_owner_fallbacks(agent_id):
            await self.dispatcher.feed(RouteRequest(conversation_id, self.services.clock(), "owner_returned"))
        await self.dispatcher.drain(agent_id)

    async def went_offline(self, agent_id: str) -> None:
        presence = await self.services.directory.get(agent_id)
        if presence is None or presence.status != "offline" or not presence.assigned:
            return
        due = self.services.clock() + self.services.config.watchdog.disconnect_grace
        await self.services.timers.arm(grace_key(agent_id), due, GRACE, {"agent_id": agent_id})

    async def grace_expired(self, payload: dict) -> None:
        agent_id = payload["agent_id"]
        presence = await self.services.directory.get(agent_id)
        if presence is None or presence.status != "offline":
            return
        for conversation_id in sorted(presence.assigned):
            await self.dispatcher.feed(RouteRequest(conversation_id, self.services.clock(), "reassign",
                                                    from_agent=agent_id))

    async def instances_died(self) -> None:
        for agent_id in await self.services.directory.forget_dead_instances():
            await self.went_offline(agent_id)
