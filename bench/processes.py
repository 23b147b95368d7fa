"""Process plumbing shared by the benchmarks and tests that run the gateway as a separate process."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]


@contextmanager
def scratch_dir(prefix: str, keep: bool) -> Iterator[Path]:
    """A bench run's temporary directory (databases, configs, logs), removed afterwards unless ``keep``."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield tmp
    finally:
        if keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


BANNER = re.compile(r"cs-gateway on (http://\S+)")


async def start_server(argv: list[str], log: Path, url: str, timeout: float = 60.0) -> asyncio.subprocess.Process:
    """Start ``argv`` (output appended to ``log``) and wait until ``url``/readyz answers 200."""
    proc = await _spawn(argv, log)
    await _until_ready(proc, argv, log, lambda: url, timeout)
    return proc


async def start_gateway(config: Path, log: Path, timeout: float = 60.0) -> tuple[asyncio.subprocess.Process, str]:
    """Start ``python -m gateway serve`` and return it with its base URL, read from the banner it prints once
    bound: with ``server.port: 0`` no other process can take the port between choosing and binding it."""
    argv = [sys.executable, "-m", "gateway", "serve", "--config", str(config)]
    start = log.stat().st_size if log.exists() else 0
    proc = await _spawn(argv, log)

    def announced() -> str | None:
        found = BANNER.search(log.read_bytes()[start:].decode("utf-8", "replace"))
        return found and found.group(1)

    return proc, await _until_ready(proc, argv, log, announced, timeout)


async def _spawn(argv: list[str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(*argv, cwd=REPO, stdout=out, stderr=asyncio.subprocess.STDOUT)


async def _until_ready(proc: asyncio.subprocess.Process, argv: list[str], log: Path,
                       url: Callable[[], str | None], timeout: float) -> str:
    """Poll ``/readyz`` until 200, failing fast (with the log's tail) when the process dies and never waiting on
    one request for long, so a wedged start-up is an error message instead of a hung test."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"{argv} exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            base = url()
            if base:
                try:
                    async with session.get(f"{base}/readyz") as response:
                        if response.status == 200:
                            return base
                except (TimeoutError, aiohttp.ClientError):
                    pass
            await asyncio.sleep(0.05)
    proc.kill()
    await proc.wait()
    raise RuntimeError(f"{argv} not ready after {timeout:.0f} s:\n{log.read_text()[-2000:]}")


async def stop(proc: asyncio.subprocess.Process, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
