"""Throwaway PostgreSQL and Redis servers on loopback ports, from the binaries on PATH.

A test that needs a server it cannot start is skipped on a laptop and fails
under CI=true: CI must never pass by skipping.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_binary(name: str) -> str | None:
    """A server binary on PATH, or in Debian's versioned PostgreSQL folder."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def require_binary(name: str, package: str) -> str:
    path = find_binary(name)
    if path:
        return path
    message = f"{name} is not installed (apt-get install {package})"
    if os.environ.get("CI"):
        pytest.fail(message + "; under CI a server test must not be skipped")
    pytest.skip(message)


def wait_until(check, timeout: float, what: str, interval: float = 0.05):
    """Poll check() until it returns something truthy; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as exc:
            last_error = exc
        else:
            if result:
                return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last error: {last_error!r})")


class PostgresServer:
    """initdb + postgres on 127.0.0.1; as root the server runs as the 'postgres' user, as it must."""

    def __init__(self, max_connections: int = 200):
        self.port = free_port()
        self.max_connections = max_connections
        self.folder = Path(tempfile.mkdtemp(prefix="bahk-pg-"))
        # The server's own log: where it says "sorry, too many clients already".
        self.log_path = self.folder / "server.log"
        self.data = self.folder / "data"
        self.process: subprocess.Popen | None = None
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def start(self) -> "PostgresServer":
        initdb = require_binary("initdb", "postgresql")
        postgres = require_binary("postgres", "postgresql")
        subprocess.run(
            [*self.prefix, initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        # fmt: off
        self.process = subprocess.Popen(
            [
                *self.prefix, postgres, "-D", str(self.data), "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.folder}",
                "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
                "-c", f"max_connections={self.max_connections}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log_path, "ab"),  # noqa: SIM115 - the server holds it; stop() removes the folder
        )
        # fmt: on
        wait_until(self._accepts, 30, "PostgreSQL to accept connections")
        return self

    def _accepts(self) -> bool:
        import psycopg

        with psycopg.connect(self.url("postgres"), connect_timeout=1):
            return True

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def enable_tls(self) -> "PostgresServer":
        """Speak TLS with a self-signed certificate, as Heroku Postgres does: on a dyno, settings require it."""
        import psycopg

        openssl = require_binary("openssl", "openssl")
        cert, key = self.folder / "server.crt", self.folder / "server.key"
        command = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        subprocess.run([*command, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        key.chmod(0o600)
        if self.prefix:  # the server runs as postgres and must own its key
            owner = pwd.getpwnam("postgres")
            for path in (cert, key):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"ALTER SYSTEM SET ssl_cert_file = '{cert}'")
            connection.execute(f"ALTER SYSTEM SET ssl_key_file = '{key}'")
            connection.execute("ALTER SYSTEM SET ssl = on")
            connection.execute("SELECT pg_reload_conf()")
        tls_url = self.url("postgres") + "?sslmode=require"
        wait_until(lambda: psycopg.connect(tls_url, connect_timeout=1).close() or True, 15, "PostgreSQL to speak TLS")
        return self

    def create_database(self, name: str, owner: str = "") -> str:
        """An empty database; with an owner, one that role (created without SUPERUSER) logs in to, as an app's
        role on Heroku Postgres does: the server's superuser_reserved_connections are then not the app's."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if owner:
                if not connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone():
                    connection.execute(f'CREATE ROLE "{owner}" LOGIN')
                connection.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
                return self.url(name).replace("postgres@", f"{owner}@", 1)
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def refusals(self) -> int:
        """Connections the server refused for want of a slot, from its log."""
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return log.count("too many clients already") + log.count("remaining connection slots are reserved")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self._fast_shutdown()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _fast_shutdown(self) -> None:
        """Disconnect the clients and stop. SIGTERM is PostgreSQL's "smart" shutdown, which waits for every
        client to leave, forever with a web process's persistent connections; and as root it would reach
        runuser, which does not pass SIGINT (the fast one) on."""
        pg_ctl = require_binary("pg_ctl", "postgresql")
        subprocess.run(
            [*self.prefix, pg_ctl, "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "15"], capture_output=True
        )

    def restart(self) -> None:
        """Stop and start the same cluster on the same port: every open connection is cut."""
        self._fast_shutdown()
        self.process.wait(15)
        self.process = subprocess.Popen(
            self.process.args,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log_path, "ab"),  # noqa: SIM115 - as in start()
        )
        wait_until(self._accepts, 30, "PostgreSQL to accept connections again")


class RedisServer:
    """redis-server on 127.0.0.1; with tls=True it speaks only TLS, on a self-signed certificate, as Heroku's does."""

    def __init__(self, tls: bool = False, maxclients: int | None = None):
        self.port = free_port()
        self.tls = tls
        self.maxclients = maxclients
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{'rediss' if self.tls else 'redis'}://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        """Start, or start again after stop(): on the same port, empty."""
        binary = require_binary("redis-server", "redis-server")
        # Redis reads its certificate once, at start: the folder can go as soon as it answers.
        folder = Path(tempfile.mkdtemp(prefix="bahk-redis-"))
        try:
            listen = ["--port", str(self.port)]
            if self.tls:
                listen = ["--port", "0", "--tls-port", str(self.port), "--tls-auth-clients", "no"]
                listen += self._certificate(folder)
            if self.maxclients is not None:  # a Heroku plan's connection limit
                listen += ["--maxclients", str(self.maxclients)]
            self.process = subprocess.Popen(
                [binary, *listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wait_until(self.ping, 15, "Redis to answer PING")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return self

    @staticmethod
    def _certificate(folder: Path) -> list[str]:
        openssl = require_binary("openssl", "openssl")
        cert, key = folder / "server.crt", folder / "server.key"
        command = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        subprocess.run([*command, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        return ["--tls-cert-file", str(cert), "--tls-key-file", str(key)]

    def ping(self) -> bool:
        return self.client(socket_timeout=1).ping()

    def client(self, socket_timeout: float = 5):
        import redis

        tls = {"ssl_cert_reqs": "none"} if self.tls else {}
        return redis.Redis.from_url(self.url, socket_timeout=socket_timeout, **tls)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
