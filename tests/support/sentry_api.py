"""A loopback stand-in for Sentry's web API: the part that releases, commits and deploys use.

It answers as sentry.io does (201 for a new release, 208 for one that
exists, 401 for a wrong token, 404 for an unknown organization, 400 for an
unknown project or repository), keeps the releases and deploys it was told
about, and records every request: method, path, JSON body and headers.
A test can script the next answers, to misbehave the ways Sentry does on a
bad day: 429 with Retry-After, 503, or accept and never answer.
"""

import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

from tests.support.loopback_http import LoopbackHTTPServer

BLACK_HOLE = "black hole"
CREATED_AT = "2026-11-20T10:15:42.000000Z"
ROUTES = [
    ("GET", re.compile(r"^/api/0/organizations/(?P<org>[^/]+)/repos/$"), "list_repos"),
    ("POST", re.compile(r"^/api/0/organizations/(?P<org>[^/]+)/releases/$"), "create_release"),
    ("PUT", re.compile(r"^/api/0/organizations/(?P<org>[^/]+)/releases/(?P<version>[^/]+)/$"), "update_release"),
    (
        "POST",
        re.compile(r"^/api/0/organizations/(?P<org>[^/]+)/releases/(?P<version>[^/]+)/deploys/$"),
        "create_deploy",
    ),
]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # as sent, query string included
    body: object  # parsed JSON, or None
    headers: dict[str, str]  # names in lower case


@dataclass(frozen=True)
class Scripted:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: object = None


class SentryAPI(LoopbackHTTPServer):
    def __init__(self, *, token: str, org: str = "acme", projects=("web",), repositories=("acme/shop",)):
        self.token = token
        self.org = org
        self.projects = set(projects)
        self.repositories = list(repositories)
        self.requests: list[Recorded] = []
        self.releases: dict[str, dict] = {}
        self.deploys: list[dict] = []
        self._script: deque = deque()
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer_next(self, *answers) -> None:
        """Answer the next requests with these, in order (a Scripted or BLACK_HOLE), then as Sentry would."""
        with self._lock:
            self._script.extend(answers)

    def recorded(self) -> list[Recorded]:
        with self._lock:
            return list(self.requests)

    # Sentry's behaviour, request by request: (status, headers, body).
    def list_repos(self, body):
        repositories = [
            {
                "id": str(number),
                "name": name,
                "url": f"https://github.com/{name}",
                "provider": {"id": "integrations:github", "name": "GitHub"},
                "status": "active",
                "dateCreated": CREATED_AT,
                "integrationId": "1",
                "externalSlug": name,
            }
            for number, name in enumerate(self.repositories, 1)
        ]
        page = f"{self.url}/api/0/organizations/{self.org}/repos/?&cursor="
        link = (
            f'<{page}0:0:1>; rel="previous"; results="false"; cursor="0:0:1", '
            f'<{page}0:100:0>; rel="next"; results="false"; cursor="0:100:0"'
        )
        return 200, {"Link": link}, repositories

    def create_release(self, body):
        if not body or not body.get("version") or not body.get("projects"):
            return 400, {}, {"version": ["This field is required."]}
        if set(body["projects"]) - self.projects:
            return 400, {}, {"projects": ["Invalid project ids or slugs"]}
        version = body["version"]
        if version in self.releases:
            return 208, {}, self.releases[version]
        release = self.releases[version] = {
            "version": version,
            "shortVersion": version[:12],
            "dateCreated": CREATED_AT,
            "dateReleased": body.get("dateReleased"),
            "dateStarted": body.get("dateStarted"),
            "projects": [{"slug": slug, "name": slug} for slug in body["projects"]],
            "ref": None,
            "url": None,
            "data": {},
            "newGroups": 0,
            "commitCount": 0,
            "deployCount": 0,
            "lastEvent": None,
            "lastCommit": None,
            "lastDeploy": None,
            "authors": [],
            "refs": [],
        }
        return 201, {}, release

    def update_release(self, body, version):
        release = self.releases.get(version)
        if release is None:
            return 404, {}, {"detail": "The requested resource does not exist"}
        body = body or {}
        unknown = [ref["repository"] for ref in body.get("refs", []) if not self.knows_repository(ref["repository"])]
        if unknown:
            return 400, {}, {"refs": [f"Invalid repository names: {','.join(unknown)}"]}
        release["refs"] += body.get("refs", [])
        release["commitCount"] = len(release["refs"])
        if "dateReleased" in body:
            release["dateReleased"] = body["dateReleased"]
        return 200, {}, release

    def create_deploy(self, body, version):
        release = self.releases.get(version)
        if release is None:
            return 404, {}, {"detail": "The requested resource does not exist"}
        if not (body or {}).get("environment"):
            return 400, {}, {"environment": ["This field is required."]}
        deploy = {"id": str(len(self.deploys) + 1), "version": version, **body}
        self.deploys.append(deploy)
        release["deployCount"] += 1
        return 201, {}, {key: value for key, value in deploy.items() if key != "version"}

    def knows_repository(self, name: str) -> bool:
        return name.lower() in (known.lower() for known in self.repositories)

    def answer(self, method: str, path: str, headers, body):
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {}, {"detail": "Invalid token"}
        for route_method, pattern, name in ROUTES:
            match = pattern.match(urlsplit(path).path)
            if match and route_method == method:
                arguments = {key: unquote(value) for key, value in match.groupdict().items()}
                if arguments.pop("org") != self.org:
                    return 404, {}, {"detail": "The requested resource does not exist"}
                return getattr(self, name)(body, **arguments)
        return 404, {}, {"detail": "The requested resource does not exist"}

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_request(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw) if raw else None
                with api._lock:
                    api.requests.append(
                        Recorded(self.command, self.path, body, {k.lower(): v for k, v in self.headers.items()})
                    )
                    scripted = api._script.popleft() if api._script else None
                if scripted == BLACK_HOLE:
                    # Accept, read, never answer: the worst a network can do.
                    api.hold_until_stopped()
                    return
                if scripted is not None:
                    status, headers, answer = scripted.status, dict(scripted.headers), scripted.body
                else:
                    with api._lock:
                        status, headers, answer = api.answer(self.command, self.path, self.headers, body)
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = handle_request

        return Handler
