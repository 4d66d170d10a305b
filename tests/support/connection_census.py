"""Who holds each connection to Redis and PostgreSQL: counted per dyno, sampled while a test or bench runs.

Redis's CLIENT LIST and PostgreSQL's pg_stat_activity name each client by its
address; the kernel's socket tables (/proc/net/tcp, tcp6) turn the client's
port and the server's into a socket inode, and /proc/PID/fd into the process holding it. Each
simulated dyno runs in a session of its own (tests.support.processes.Process),
so the session id names the dyno. Linux only, standard library only.
"""

import contextlib
import os
import threading
from collections import Counter, defaultdict
from pathlib import Path

LOOPBACK_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


def sockets_by_ports() -> dict[tuple[int, int], int]:
    """{(local port, remote port): socket inode} of every open TCP socket on this machine.

    Both ports, not the local one alone: Linux gives two connections the same local port when they
    go to different servers, so a client port names a socket only together with the server's port.
    """
    sockets = {}
    for table in LOOPBACK_TABLES:
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[9]):  # inode 0: a closed socket in TIME_WAIT
                    local, remote = (int(fields[n].rsplit(":", 1)[1], 16) for n in (1, 2))
                    sockets[local, remote] = int(fields[9])
    return sockets


def sessions_by_socket() -> dict[int, int]:
    """{socket inode: session id of the process holding it}."""
    owners = {}
    for fd_folder in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            session = os.getsid(int(fd_folder.parent.name))
            for fd in fd_folder.iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        owners[int(target[8:-1])] = session
    return owners


def redis_client_ports(client) -> list[int]:
    """The client port of every connection Redis has open but this census's own."""
    own = client.client_id()
    return [int(entry["addr"].rsplit(":", 1)[1]) for entry in client.client_list() if int(entry["id"]) != own]


def postgres_client_ports(connection) -> list[int]:
    rows = connection.execute(
        "SELECT client_port FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        " AND client_port IS NOT NULL"
    ).fetchall()
    return [row[0] for row in rows]


class Census:
    """Samples, in a thread, how many connections each dyno holds; peaks per dyno and in total.

    dynos maps a name ("web.1", "run.1") to its session id; a connection held by
    any other process is counted under "other".
    """

    def __init__(self, redis_client, postgres_connection, interval: float = 0.1):
        self.redis = redis_client
        self.postgres = postgres_connection
        self.server_ports = {
            "redis": int(redis_client.connection_pool.connection_kwargs["port"]),
            "postgres": int(postgres_connection.info.port),
        }
        self.interval = interval
        self.dynos: dict[str, int] = {}
        self.peaks: dict[str, Counter] = {"redis": Counter(), "postgres": Counter()}
        self.total_peaks: Counter = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="connection-census", daemon=True)

    def add(self, name: str, session: int) -> None:
        self.dynos[name] = session

    def sample(self) -> dict[str, Counter]:
        ports = {"redis": redis_client_ports(self.redis), "postgres": postgres_client_ports(self.postgres)}
        sockets, owners = sockets_by_ports(), sessions_by_socket()
        names = {session: name for name, session in self.dynos.items()}
        counts: dict[str, Counter] = defaultdict(Counter)
        for service, client_ports in ports.items():
            for port in client_ports:
                inode = sockets.get((port, self.server_ports[service]))
                counts[service][names.get(owners.get(inode), "other")] += 1
        return counts

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # a connection closing mid-sample
                counts = self.sample()
                for service in self.peaks:
                    for name, count in counts[service].items():
                        self.peaks[service][name] = max(self.peaks[service][name], count)
                    self.total_peaks[service] = max(self.total_peaks[service], sum(counts[service].values()))
                self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)

    def peak_by_process_type(self, service: str) -> dict[str, int]:
        """The highest peak of any one dyno of each process type ("web.2" counts as web)."""
        peaks: dict[str, int] = {}
        for name, count in self.peaks[service].items():
            kind = name.split(".", 1)[0]
            peaks[kind] = max(peaks.get(kind, 0), count)
        return peaks
