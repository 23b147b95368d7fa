"""``python -m gateway serve | check-config | analyze | report | migrate``. The only place that turns errors into
exit codes."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from gateway.config import ConfigError, GatewayConfig, load_config
from scripts_lib.library import LibraryError, LibraryWatcher


def _config_path(args: argparse.Namespace) -> str:
    return args.config or os.environ.get("GATEWAY_CONFIG") or "config.yaml"


def _load(args: argparse.Namespace) -> GatewayConfig:
    return load_config(_config_path(args))


def serve(args: argparse.Namespace) -> int:
    from aiohttp.web_runner import GracefulExit

    from gateway.logs import configure_logging
    from gateway.schema import SchemaError

    config = _load(args)
    configure_logging(args.log_level)
    try:
        asyncio.run(_serve(config))
    except (GracefulExit, KeyboardInterrupt):
        pass
    except SchemaError as exc:      # the database is not at the code's schema: the operator migrates first
        print(f"schema error: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(config: GatewayConfig) -> None:
    """Bind first, then print the banner with the address actually bound: with ``server.port: 0`` the system
    picks a free port and whoever started the process (a supervisor, a test) reads it from the first line."""
    from aiohttp import web

    from gateway.app import create_app

    runner = web.AppRunner(create_app(config), access_log=None, handle_signals=True)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.server.host, config.server.port)
        await site.start()
        host, port = config.server.host, site.port
        print(f"cs-gateway on http://{host}:{port}  (database {config.database.url}, state {config.state.backend})\n"
              f"  storefront: POST http://{host}:{port}/v1/storefront/messages  ·  ws://{host}:{port}/v1/storefront/ws\n"
              f"  agents:     ws://{host}:{port}/v1/agent/ws  ·  ops: /healthz /readyz /metrics", flush=True)
        await asyncio.Event().wait()        # until SIGINT/SIGTERM raises GracefulExit here
    finally:
        await runner.cleanup()


def check_config(args: argparse.Namespace) -> int:
    config = _load(args)
    library = LibraryWatcher(config.scripts.library, config.scripts.knowledge).check()
    if isinstance(library, LibraryError):
        raise library
    print(f"{_config_path(args)}: OK ({len(config.storefronts)} storefronts, {len(config.agents)} agents, "
          f"{len(config.teams)} teams, {len(library)} scripts and knowledge entries)")
    return 0


def analyze(args: argparse.Namespace) -> int:
    from gateway.analyze_cli import run_analyze

    return run_analyze(_load(args) if os.path.exists(_config_path(args)) else GatewayConfig(),
                       sys.stdin, sys.stdout, with_context=args.context)


def report(args: argparse.Namespace) -> int:
    from gateway.schema import SchemaError
    from kpis.report import run_report

    try:
        return run_report(args)
    except SchemaError as exc:
        print(f"schema error: {exc}", file=sys.stderr)
        return 1


def migrate(args: argparse.Namespace) -> int:
    """Upgrade the configured database to the code's head; any failure is one line on stderr and exit 1."""
    from alembic.util import CommandError
    from sqlalchemy import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from gateway import schema
    from gateway.db import async_url

    url = async_url(_load(args).database.url)
    try:
        done = asyncio.run(schema.migrate(url))
    except schema.SchemaError as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 1
    except (CommandError, SQLAlchemyError, OSError) as exc:     # unreachable database, refused login, …
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"migrate: database {make_url(url).render_as_string(hide_password=True)}: {reason}", file=sys.stderr)
        return 1
    if done.stamped:
        print(f"stamped {done.before}: the tables, made before migrations, match it")
    print(f"database at {done.after} (head)" if done.before == done.after
          else f"migrated {done.before or 'empty'} -> {done.after}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway", description="Customer-service gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, func, help_text in (("serve", serve, "run the gateway"),
                                  ("check-config", check_config, "validate config.yaml and exit"),
                                  ("analyze", analyze, "emotion/intent/order analysis of JSON lines on stdin"),
                                  ("report", report, "KPIs per agent, group and shop (--since 24h)"),
                                  ("migrate", migrate, "upgrade the database's schema to this release")):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--config", help="config file (default: $GATEWAY_CONFIG or ./config.yaml)")
        sub.set_defaults(func=func)
    commands.choices["serve"].add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    commands.choices["analyze"].add_argument("--context", action="store_true",
                                             help="input lines carry the conversation so far in 'context'")
    from kpis.report import add_report_arguments

    add_report_arguments(commands.choices["report"])
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, LibraryError) as exc:
        print(f"config error:\n{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
