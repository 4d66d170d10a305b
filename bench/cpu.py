"""CPU per request of a dyno's process group: the figure every web bench reports.

Throughput on a shared 2-core machine swings two- to three-fold between
identical rounds; the CPU a dyno spends per request holds within about 20 %.
So a window is measured as the utime+stime of every process in the dyno's
session (gunicorn's master and workers, every thread, the Sentry SDK's sender
included) before and after a wrk run, divided by the requests wrk completed.
Configurations are measured in interleaved rounds, every other round
backwards so slow drift in the machine's load favours none, and each figure
is the median over the rounds, with throughput and latency beside it.
"""

import contextlib
import os
import statistics
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bench import wrk

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def session_cpu_seconds(session: int) -> float:
    """utime+stime of every live process in a session (each /proc/PID/stat counts all its threads)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # After "(comm)", which may hold spaces: state is [0], session [3], utime [11], stime [12].
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


@dataclass(frozen=True)
class Target:
    """One configuration as a window drives it: a URL on a running dyno and how to ask for it."""

    session: int  # the dyno's session id: tests.support.processes.Process starts each in its own, pid == sid
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    script: str = ""  # a wrk Lua `request` function, for a different URL per request


@dataclass(frozen=True)
class Window:
    requests: int
    seconds: float
    cpu_seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_seconds * 1000 / self.requests

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class Figure:
    """The medians over a configuration's windows, and each window's CPU per request in the order measured."""

    cpu_ms_per_request: float
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_window: tuple[float, ...]
    requests: int  # in the measured windows
    served: int  # warm-up included: what the dyno answered in all
    windows: int

    @classmethod
    def of(cls, windows: list[Window], warmup_requests: int = 0) -> "Figure":
        cpu = [window.cpu_ms_per_request for window in windows]
        return cls(
            cpu_ms_per_request=statistics.median(cpu),
            rps=statistics.median(window.rps for window in windows),
            p50_ms=statistics.median(window.p50_ms for window in windows),
            p99_ms=statistics.median(window.p99_ms for window in windows),
            cpu_ms_per_window=tuple(cpu),
            requests=sum(window.requests for window in windows),
            served=warmup_requests + sum(window.requests for window in windows),
            windows=len(windows),
        )


def window(target: Target, seconds: int, connections: int) -> Window:
    before = session_cpu_seconds(target.session)
    run = wrk.run(target.url, seconds, connections=connections, headers=target.headers, script=target.script)
    cpu_seconds = session_cpu_seconds(target.session) - before
    # A figure over failed requests would measure the failure: stop rather than print it.
    if run.errors or not run.requests:
        raise RuntimeError(
            f"{target.url}: {run.requests} requests in {seconds} s, {run.bad_status} not 2xx or 3xx, "
            f"{run.socket_errors} without an answer"
        )
    return Window(run.requests, run.seconds, cpu_seconds, run.p50_ms, run.p99_ms)


def compare[Key: Hashable](
    targets: Mapping[Key, Target],
    *,
    rounds: int,
    seconds: int,
    warmup: int,
    connections: int,
) -> dict[Key, Figure]:
    """Warm every target up, then `rounds` interleaved windows of `seconds` each; the median per target.

    Prints a line per window as it goes: a long run shows it is alive, and a window far from the others shows.
    """
    warmed = dict.fromkeys(targets, 0)
    for key, target in targets.items():
        if warmup:
            warmed[key] = wrk.run(
                target.url, warmup, connections=connections, headers=target.headers, script=target.script
            ).requests
    windows: dict[Key, list[Window]] = {key: [] for key in targets}
    keys = list(targets)
    for round_number in range(rounds):
        for key in keys if round_number % 2 == 0 else keys[::-1]:
            measured = window(targets[key], seconds, connections)
            windows[key].append(measured)
            name = " / ".join(key) if isinstance(key, tuple) else key
            print(
                f"  round {round_number + 1} {name}: {measured.cpu_ms_per_request:.3f} ms CPU/request, "
                f"{measured.rps:.0f} req/s, p99 {measured.p99_ms:.1f} ms",
                flush=True,
            )
    return {key: Figure.of(measured, warmed[key]) for key, measured in windows.items()}
