"""wrk, the load generator every bench drives the web process with: one run, its summary parsed.

wrk prints its summary for people; a Lua ``done`` hook writes it as one line
of JSON instead, with the errors split the way a bench needs them: a socket
error (connect, read, write, timeout) means a request got no answer, a bad
status means it got one that was not 2xx or 3xx. A bench that needs a
different URL per request passes a Lua ``request`` function as ``script``.
"""

import json
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

from tests.support.processes import HOST
from tests.support.servers import require_binary

# What Heroku's router adds to every request: the app's domain (allowed by
# ALLOWED_HOSTS under a Heroku-like environment) and the TLS it terminated.
ROUTER_HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https"}
SUMMARY = "BENCH "
REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH {\"requests\": %d, \"duration_us\": %d, \"socket_errors\": %d, \"bad_status\": %d, "
    .. "\"p50_us\": %d, \"p99_us\": %d}\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    socket_errors: int
    bad_status: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return self.socket_errors + self.bad_status


def parse(stdout: str) -> Run:
    """The run from wrk's output, by the line REPORT writes."""
    line = next((line for line in stdout.splitlines() if line.startswith(SUMMARY)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{stdout}")
    summary = json.loads(line.removeprefix(SUMMARY))
    return Run(
        requests=summary["requests"],
        seconds=summary["duration_us"] / 1e6,
        socket_errors=summary["socket_errors"],
        bad_status=summary["bad_status"],
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
    )


def run(
    url: str,
    seconds: int,
    *,
    connections: int = 8,
    headers: Mapping[str, str] | None = None,
    script: str = "",
    timeout: float = 10,
) -> Run:
    """wrk on one thread with `connections` keep-alive connections for `seconds`; `timeout` per request.

    wrk takes whole seconds only ("0.5s" is a usage error).
    """
    if not isinstance(seconds, int) or seconds < 1:
        raise ValueError(f"wrk runs for whole seconds, at least 1; got {seconds!r}")
    header_args = [arg for name, value in (headers or {}).items() for arg in ("--header", f"{name}: {value}")]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script + REPORT)
        lua.flush()
        result = subprocess.run(
            [require_binary("wrk", "wrk"), "--threads", "1", "--connections", str(connections),
             "--duration", f"{seconds}s", "--timeout", f"{timeout:g}s", *header_args, "--script", lua.name, url],
            capture_output=True, text=True, timeout=seconds + timeout + 30, check=False,
        )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"wrk exited with {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return parse(result.stdout)
