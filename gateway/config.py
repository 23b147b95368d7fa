"""config.yaml v1: the gateway's own sections, the root model, and the loader.

Each capability package owns its config model (``scheduler.config``, ``escalation.config``,
``scripts_lib.config``, ``handlers.qa_config``); this module assembles them. Validation is strict
(``extra="forbid"``) and happens once; errors name the key and its line in the file. Only ``__main__`` turns a
:class:`ConfigError` into an exit code.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from escalation.config import EscalationConfig
from gateway.durations import Duration
from handlers.bot_config import BotConfig
from handlers.qa_config import QAConfig
from handlers.survey_config import SurveyConfig
from handlers.tickets_config import TicketsConfig
from kpis.config import KpisConfig
from scheduler.config import WatchdogConfig
from scripts_lib.config import ScriptsConfig


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body: int = Field(64 * 1024, gt=0, description="largest accepted request body or WebSocket frame, bytes")


class DatabaseConfig(Strict):
    url: str = "sqlite:///data/gateway.db"
    group_commit_max: int = Field(500, gt=0, description="most writes grouped into one transaction")
    sqlite_synchronous: Literal["full", "normal"] = "full"


class StateConfig(Strict):
    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "csgw"
    dedupe_window: Duration = 86400.0
    instance_timeout: Duration = Field(30.0, ge=3.0, description=(
        "scale-out: a gateway process silent this long is taken for dead; its agents' sockets are forgotten "
        "and its pending deliveries taken over"))


class StorefrontConfig(Strict):
    id: str
    token: str = Field(min_length=1)
    secret: str | None = None
    callback_url: str | None = None


class AgentConfig(Strict):
    id: str
    name: str
    token: str = Field(min_length=1)
    role: Literal["agent", "senior", "supervisor"] = "agent"
    groups: list[str] = Field(default_factory=lambda: ["default"])
    max_concurrent: int = Field(5, ge=0)


class RoutingConfig(Strict):
    owner_ttl: Duration = 7 * 86400.0
    owner_wait: Duration = 60.0
    default_group: str = "default"
    seniors_take_new_chats: bool = False


class DeliveryConfig(Strict):
    """Delivery to storefront callbacks: exponential backoff from ``retry_base`` up to ``retry_cap``, forever."""

    retry_base: Duration = 0.5
    retry_cap: Duration = 60.0
    timeout: Duration = 5.0
    concurrency: int = Field(16, gt=0)


class TeamConfig(Strict):
    id: str
    token: str = Field(min_length=1)
    webhook_url: str | None = None
    secret: str | None = None
    ack_sla: Duration = 7200.0


class IntentRoute(Strict):
    team: str


def _default_intents() -> dict[str, IntentRoute]:
    routes = {"logistics_delay": "logistics", "address_change": "logistics", "damaged_goods": "warehouse",
              "wrong_item": "warehouse", "missing_item": "warehouse", "stock": "warehouse"}
    return {intent: IntentRoute(team=team) for intent, team in routes.items()}


class GatewayConfig(Strict):
    server: ServerConfig = ServerConfig()
    database: DatabaseConfig = DatabaseConfig()
    state: StateConfig = StateConfig()
    storefronts: list[StorefrontConfig] = Field(default_factory=list)
    agents: list[AgentConfig] = Field(default_factory=list)
    routing: RoutingConfig = RoutingConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    watchdog: WatchdogConfig = WatchdogConfig()
    escalation: EscalationConfig = EscalationConfig()
    survey: SurveyConfig = SurveyConfig()
    teams: list[TeamConfig] = Field(default_factory=list)
    intents: dict[str, IntentRoute] = Field(default_factory=_default_intents)
    tickets: TicketsConfig = TicketsConfig()
    kpis: KpisConfig = KpisConfig()
    bot: BotConfig = BotConfig()
    scripts: ScriptsConfig = ScriptsConfig()
    qa: QAConfig = QAConfig()

    @field_validator("storefronts", "agents", "teams")
    @classmethod
    def _unique_ids(cls, items: list[Any]) -> list[Any]:
        ids = [item.id for item in items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate id(s): {', '.join(duplicates)}")
        return items

    @model_validator(mode="after")
    def _tokens_are_unique(self) -> "GatewayConfig":
        tokens = [a.token for a in self.agents] + [s.token for s in self.storefronts] + [t.token for t in self.teams]
        if len(tokens) != len(set(tokens)):
            raise ValueError("every storefront, agent and team needs its own token")
        teams = {t.id for t in self.teams}
        unknown = sorted({r.team for r in self.intents.values()} - teams) if self.teams else []
        if unknown:
            raise ValueError(f"intents name unknown team(s): {', '.join(unknown)}")
        return self


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file, the key and the line."""


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _substitute(value: Any, path: tuple[Any, ...], env: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, (*path, k), env) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, (*path, i), env) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ConfigError(f"{_dotted(path)}: environment variable {name} is not set (write ${{{name}:-default}} for a default)")

    return _ENV.sub(replace, value)


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _line_of(node: yaml.Node | None, path: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest node along ``path`` that exists in the YAML document."""
    line = None
    for part in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        node = _child(node, part)
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == str(part)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def parse_config(text: str, source: str = "config.yaml", env: dict[str, str] | None = None) -> GatewayConfig:
    """Validate config text; raise :class:`ConfigError` naming the key and line of the first problems."""
    try:
        tree = yaml.compose(text)
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    raw = _substitute(raw, (), dict(os.environ) if env is None else env)
    try:
        return GatewayConfig.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            line = _line_of(tree, loc)
            where = f"line {line}: " if line else ""
            problems.append(f"{source}: {where}{_dotted(loc)}: {err['msg']}")
        raise ConfigError("\n".join(problems)) from None


def load_config(path: str | Path) -> GatewayConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    return parse_config(text, source=str(path))
