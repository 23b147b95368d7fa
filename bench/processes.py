"""Process plumbing shared by the benchmarks that run the gateway as a separate process."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import aiohttp

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


async def start_server(argv: list[str], log: Path, url: str, timeout: float = 60.0) -> asyncio.subprocess.Process:
    """Start ``argv`` (output appended to ``log``) and wait until ``url``/readyz answers 200."""
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(*argv, cwd=REPO, stdout=out, stderr=asyncio.subprocess.STDOUT)
    async with aiohttp.ClientSession() as session:
        for _ in range(int(timeout / 0.05)):
            if proc.returncode is not None:
                raise RuntimeError(f"{argv} exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                async with session.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return proc
            except aiohttp.ClientError:
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
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
