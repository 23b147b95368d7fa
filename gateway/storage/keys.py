"""Every Redis key the gateway writes, in one place (arq's ``constants.py`` idea).

A deployment's ``state.key_prefix`` (default ``csgw``) is put in front of each, so several gateways or a test
run can share one Redis database without touching each other's keys.
"""

DEFAULT_PREFIX = "csgw"

CONVERSATION = "conv"          # conv:<conversation_id> -> JSON conversation state
CUSTOMER_OPEN = "custopen"     # custopen:<customer_key> -> open conversation id
DEDUPE = "dedupe"              # dedupe:<storefront_id>:<message_id> -> conversation id (TTL)
LOCK = "lock"                  # lock:<name> -> holder token (TTL)
PRESENCE = "presence"          # presence -> hash agent_id -> JSON presence record
OWNER = "owner"                # owner:<customer_key> -> agent id (TTL = routing.owner_ttl)
QUEUE = "queue"                # queue -> sorted set of waiting conversation ids by arrival
DEADLINES = "deadlines"        # deadlines -> sorted set key by due time; deadlines:data -> hash key -> JSON
DEADLINES_INFLIGHT = "deadlines:inflight"   # claimed but not yet acknowledged, scored by lease expiry
EVENTS = "events"              # events:<instance_id> -> pub/sub channel for cross-instance delivery
LEASE = "lease"                # lease:<job> -> periodic-job lease holder
CONVERSATION_CUSTOMER = "convcust"   # convcust -> hash conversation_id -> customer key (hot conversations)
OWNER_FALLBACKS = "ownerfb"    # ownerfb:<agent_id> -> set of conversation ids waiting for that owner's return
AGENTS = "agents"              # agents -> sorted set of registered agent ids, all scored 0 (so ordered by id)
AGENT = "agent"                # agent:<agent_id> -> hash role, groups (JSON), capacity, status, connections, idle_since
ASSIGNED = "assigned"          # assigned:<agent_id> -> set of the agent's conversation ids
QUEUE_GROUPS = "queue:groups"  # queue:groups -> hash waiting conversation id -> group
INSTANCES = "instances"        # instances -> set of gateway process ids that hold (or held) agent sockets
INSTANCE_AGENTS = "instagents" # instagents:<instance_id> -> hash agent_id -> sockets that process holds
ALIVE = "alive"                # alive:<instance_id> -> heartbeat key (TTL): gone when that process died
MARKER = "marker"              # marker:<namespace>:<key> -> JSON {value, expires_at} (TTL), e.g. survey asked


def key(prefix: str, *parts: str) -> str:
    """Join a deployment prefix and key parts with ':'."""
    return ":".join((prefix, *parts))
