"""Fixtures for the Topi end-to-end suite.

One `wrangler dev` server per pytest session (fresh local D1 state, owner account `alice`), plus
module-scoped extra servers with a different configuration for the few tests that need one.

Environment:
  TOPI_E2E_URL   target an already running server instead of starting one (it must have been
                 started with the configuration in MAIN_VARS below)
  TOPI_SHARED    the shared/ directory (default: <repo>/../shared), for the OpenAPI schema
  TOPI_E2E_KEEP  keep the temporary state directories (logs are always kept)

The Worker must already be built (build/worker/shim.mjs); servers are started with
TOPI_PREBUILT=1 so that no compile happens here.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from client import CheckedSession, describe
from openapi import OpenAPISpec
from settings import EMAIL, OOB, PASSWORD, TITLE, USERNAME

REPO = Path(__file__).resolve().parents[2]
WRANGLER = REPO / "node_modules" / ".bin" / "wrangler"
SHIM = REPO / "build" / "worker" / "shim.mjs"

STARTUP_TIMEOUT = 90

MAIN_VARS = {
    "ADMIN_USERNAME": USERNAME,
    "ADMIN_EMAIL": EMAIL,
    "ADMIN_PASSWORD": PASSWORD,
    "ALLOW_PASSWORD_GRANT": "true",
    "INSTANCE_TITLE": TITLE,
}

_SPEC: OpenAPISpec | None = None
_SERVERS: list["Server"] = []


def load_spec() -> OpenAPISpec:
    global _SPEC
    if _SPEC is None:
        _SPEC = OpenAPISpec.load()
    return _SPEC


# -- server processes -----------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    name: str = "external"
    process: subprocess.Popen | None = None
    workdir: Path | None = None
    log_path: Path | None = None
    vars: dict = field(default_factory=dict)

    @property
    def host(self) -> str:
        """host[:port] of PUBLIC_URL, the domain part of local handles."""
        return urlsplit(self.url).netloc

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        proc = self.process
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)  # the group created by start_new_session=True
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.process = None
        if self.workdir and not os.environ.get("TOPI_E2E_KEEP"):
            shutil.rmtree(self.workdir / "state", ignore_errors=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(name: str, overrides: dict | None = None, repo: Path = REPO,
                 max_retries: int | None = None) -> Server:
    """Start `wrangler dev` on a free port with fresh local state; wait until it answers.

    `max_retries` replaces the queue consumer's retry count (wrangler.toml says 8, which at a
    one-second base delay still takes minutes) and shortens batch waits to a second: the server
    then runs from a copy of wrangler.toml in its work directory, with absolute paths."""
    shim = repo / "build" / "worker" / "shim.mjs"
    if not shim.exists():
        pytest.fail(f"{shim} does not exist: build the Worker first (make build)", pytrace=False)
    workdir = Path(tempfile.mkdtemp(prefix=f"topi-e2e-{name}-"))
    state = workdir / "state"
    log_path = workdir / "wrangler.log"
    empty_env = workdir / "empty.env"  # keeps a developer's .dev.vars out of the test config
    empty_env.write_text("")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = {"PUBLIC_URL": url, **MAIN_VARS, **(overrides or {})}
    env = {
        **os.environ,
        "CI": "true",
        "TOPI_PREBUILT": "1",
        "WRANGLER_SEND_METRICS": "false",
        "NO_COLOR": "1",
        "FORCE_COLOR": "0",
    }
    server = Server(url=url, name=name, workdir=workdir, log_path=log_path, vars=config)
    wrangler = str(repo / "node_modules" / ".bin" / "wrangler")
    with open(log_path, "ab") as log:
        log.write(b"$ wrangler d1 migrations apply\n")
        log.flush()
        migrate = subprocess.run(
            [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(state),
             "--env-file", str(empty_env)],
            cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            timeout=180,
        )
    if migrate.returncode != 0:
        pytest.fail(f"d1 migrations apply failed ({migrate.returncode}); log {log_path}:\n"
                    f"{server.log_tail()}", pytrace=False)

    config_args: list[str] = []
    if max_retries is not None:
        toml = (repo / "wrangler.toml").read_text()
        toml = toml.replace('main = "build/worker/shim.mjs"', f'main = "{shim}"')
        toml = toml.replace('migrations_dir = "migrations"', f'migrations_dir = "{repo / "migrations"}"')
        toml = toml.replace("max_retries = 8", f"max_retries = {max_retries}")
        # Batches wait a second, not five: each federated action passes the queue twice.
        toml = toml.replace("max_batch_timeout = 5", "max_batch_timeout = 1")
        config_file = workdir / "wrangler.toml"
        config_file.write_text(toml)
        config_args = ["--config", str(config_file)]
    command = [wrangler, "dev", *config_args, "--ip", "127.0.0.1", "--port", str(port),
               "--inspector-port", str(free_port()), "--persist-to", str(state),
               "--env-file", str(empty_env), "--show-interactive-dev-session=false",
               "--log-level", "info"]
    for key, value in config.items():
        command += ["--var", f"{key}:{value}"]
    log = open(log_path, "ab")
    log.write(("$ " + " ".join(command) + "\n").encode())
    log.flush()
    server.process = subprocess.Popen(
        command, cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    log.close()
    _SERVERS.append(server)

    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            resp = requests.get(url + "/api/v1/instance", timeout=5)
            if resp.status_code == 200:
                return server
            last = f"HTTP {resp.status_code}: {resp.text[:200]!r}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.5)
    code = server.process.poll()
    server.stop()
    pytest.fail(
        f"wrangler dev ({name}) did not answer 200 on /api/v1/instance within {STARTUP_TIMEOUT}s "
        f"(exit code {code}, last: {last}); log {log_path}, tail:\n{server.log_tail()}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def spec() -> OpenAPISpec:
    return load_spec()


@pytest.fixture(scope="session")
def server() -> Server:
    external = os.environ.get("TOPI_E2E_URL")
    if external:
        yield Server(url=external.rstrip("/"), vars={"PUBLIC_URL": external.rstrip("/"), **MAIN_VARS})
        return
    srv = start_server("main")
    try:
        yield srv
    finally:
        srv.stop()


def _extra_server(name: str, overrides: dict):
    if not SHIM.exists():
        pytest.fail(f"{SHIM} is missing: build the Worker first (scripts/build.sh)")
    srv = start_server(name, overrides)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def server_without_password_grant() -> Server:
    """A separate server started with ALLOW_PASSWORD_GRANT=false."""
    yield from _extra_server("nopassword", {"ALLOW_PASSWORD_GRANT": "false"})


@pytest.fixture(scope="module")
def rate_limit_server() -> Server:
    """A separate server for lock-out tests, so the main server's owner is never locked out."""
    yield from _extra_server("ratelimit", {})


@pytest.fixture(scope="module")
def body_limit_server() -> Server:
    """A separate server for bodies cut off mid-stream: `wrangler dev` may restart its runtime
    after one, and the next request on that server then fails (503 "restarted mid-request")."""
    yield from _extra_server("bodylimits", {})


@pytest.fixture(scope="session")
def federation_server() -> Server:
    """A server that federates with loopback peers: private addresses allowed (dev only), a
    one-second first retry, and two queue retries before the dead-letter queue."""
    if not SHIM.exists():
        pytest.fail(f"{SHIM} is missing: build the Worker first (scripts/build.sh)")
    srv = start_server("federation", {"ALLOW_PRIVATE_ADDRESSES": "true", "FEDERATION_RETRY_SECONDS": "1"}, max_retries=2)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def fed_owner(federation_server: Server, spec: OpenAPISpec) -> CheckedSession:
    """The federation server's owner (alice), with a read write follow push token."""
    with CheckedSession(federation_server.url, spec) as api:
        token = password_token(api, register_app(api))
        with api.with_token(token) as session:
            yield session


def d1_rows(server: Server, sql: str, params: tuple = ()) -> list[dict]:
    """Rows straight from a server's local D1 file (read-only), for what no API shows."""
    import sqlite3
    files = [p for p in (server.workdir / "state").rglob("*.sqlite") if "metadata" not in p.name]
    rows: list[dict] = []
    for path in files:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            db.row_factory = sqlite3.Row
            try:
                rows.extend(dict(r) for r in db.execute(sql, params))
            except sqlite3.OperationalError:
                continue
    return rows


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


@pytest.fixture
def api(server: Server, spec: OpenAPISpec) -> CheckedSession:
    """An anonymous client (own cookie jar); pass token=... per request or use .with_token()."""
    with CheckedSession(server.url, spec) as session:
        yield session


# -- OAuth helpers --------------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def register_app(api: CheckedSession, *, name: str = "e2e app", redirect_uris=OOB,
                 scopes: str | None = "read write follow push", website: str | None = None) -> dict:
    data = {"client_name": name, "redirect_uris": redirect_uris}
    if scopes is not None:
        data["scopes"] = scopes
    if website is not None:
        data["website"] = website
    resp = api.post("/api/v1/apps", json=data, token=None)
    assert resp.status_code == 200, describe(resp)
    return resp.json_body


def password_token(api: CheckedSession, app: dict, scope: str = "read write follow push", *,
                   username: str = USERNAME, password: str = PASSWORD) -> str:
    resp = api.post("/oauth/token", token=None, data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": username, "password": password, "scope": scope,
    })
    assert resp.status_code == 200, describe(resp)
    return resp.json_body["access_token"]


@pytest.fixture
def app(api: CheckedSession) -> dict:
    """A freshly registered app (oob redirect, scopes read write follow push)."""
    return register_app(api)


@pytest.fixture
def make_token(api: CheckedSession, app: dict):
    """make_token(scope) -> a fresh user token for alice with exactly that scope."""
    def make(scope: str = "read write follow push") -> str:
        return password_token(api, app, scope)
    return make


@pytest.fixture
def token(make_token) -> str:
    """A fresh read write follow push token of the owner."""
    return make_token()


@pytest.fixture
def owner(api: CheckedSession, token: str) -> CheckedSession:
    """A client authenticated as alice with a fresh read/write/follow/push token."""
    with api.with_token(token) as session:
        yield session


# -- reporting ------------------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    spec = _SPEC
    if spec is not None and (spec.checked_count or spec.unchecked):
        tr = terminalreporter
        tr.section("OpenAPI schema coverage")
        tr.write_line(f"responses validated against the schema: {spec.checked_count}")
        seen = sorted({f"{u.method} {spec.match_path(u.path) or u.path} -> {u.status}"
                       for u in spec.unchecked
                       if u.path.startswith(("/api/", "/oauth/", "/.well-known/oauth"))})
        if seen:
            tr.write_line(f"API responses the schema has no JSON schema for ({len(seen)} distinct), not validated:")
            for line in seen:
                tr.write_line(f"  {line}")
    if _SERVERS:
        terminalreporter.section("wrangler dev logs")
        for srv in _SERVERS:
            terminalreporter.write_line(f"{srv.name}: {srv.url}  log: {srv.log_path}")


# -- statuses: helpers shared by test_statuses, test_timelines, test_interactions, test_notifications


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long-running test (deselect with -m 'not slow')")


def post_status(session: CheckedSession, text: str | None, *, headers: dict | None = None,
                **fields) -> dict:
    """POST /api/v1/statuses as a form (like Mastodon.py) and return the Status. `visibility`
    defaults to public so that tests do not depend on the owner's default; pass visibility=None to
    send none. Other fields are sent as given (None values are left out)."""
    fields.setdefault("visibility", "public")
    data = {"status": text, **fields}
    data = {k: v for k, v in data.items() if v is not None}
    resp = session.post("/api/v1/statuses", data=data, headers=headers)
    assert resp.status_code == 200, describe(resp)
    return resp.json_body


def check_status(status: dict, base_url: str, *, owner_id: str | None = None,
                 authenticated: bool = True) -> None:
    """The Status rules of CLIENT-COMPAT §2.3 that the OpenAPI schema leaves open, for a status of
    the owner (the only local account). A reblog wrapper's inner status is checked too."""
    import re
    from settings import USERNAME as owner_username

    where = f"status {status.get('id')!r}"
    assert isinstance(status["id"], str) and re.fullmatch(r"\d+", status["id"]), f"{where}: id must be a numeric string"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", status["created_at"]), (
        f"{where}: created_at {status['created_at']!r} needs 3 fractional digits and Z")
    assert status["uri"].startswith(base_url + "/"), f"{where}: uri {status['uri']!r} is not an absolute URL here"
    for key in ("reblog", "in_reply_to_id", "in_reply_to_account_id", "card", "poll", "language", "url",
                "edited_at"):
        assert key in status, f"{where}: {key} must be present (nullable), CLIENT-COMPAT §2.3"
    if status["url"] is not None:
        assert status["url"].startswith(base_url + "/"), f"{where}: url {status['url']!r} is not absolute"
    if status["edited_at"] is not None:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", status["edited_at"]), where
    account = status["account"]
    assert (account["username"], account["acct"]) == (owner_username, owner_username), f"{where}: account {account!r}"
    if owner_id is not None:
        assert account["id"] == owner_id, where
    assert status["visibility"] in ("public", "unlisted", "private", "direct"), where
    assert isinstance(status["content"], str) and isinstance(status["spoiler_text"], str), where
    assert isinstance(status["sensitive"], bool), where
    assert status["media_attachments"] == [] and status["emojis"] == [], where
    assert status["poll"] is None, where
    for key in ("replies_count", "reblogs_count", "favourites_count"):
        assert isinstance(status[key], int) and not isinstance(status[key], bool) and status[key] >= 0, (where, key)
    for mention in status["mentions"]:
        assert {"id", "username", "acct", "url"} <= set(mention), f"{where}: mention {mention!r}"
    for tag in status["tags"]:
        assert isinstance(tag["name"], str) and tag["url"].startswith(base_url + "/tags/"), f"{where}: tag {tag!r}"
    assert status.get("text") is None, f"{where}: text is only sent by DELETE (and the source endpoint)"
    if authenticated:
        for key in ("favourited", "reblogged", "bookmarked", "muted"):
            assert isinstance(status.get(key), bool), f"{where}: {key} must be a boolean for the signed-in user"
        if status["reblog"] is None and status["visibility"] != "direct":
            assert isinstance(status.get("pinned"), bool), f"{where}: pinned must be a boolean on own statuses"
    if status["reblog"] is not None:
        assert status["reblog"]["reblog"] is None, f"{where}: a reblog of a reblog"
        check_status(status["reblog"], base_url, owner_id=owner_id, authenticated=authenticated)


def link_params(response, rel: str) -> dict | None:
    """The query parameters of the Link header's `rel` URL (single values), or None without one."""
    from urllib.parse import parse_qsl

    link = response.links.get(rel)
    if link is None:
        return None
    return dict(parse_qsl(urlsplit(link["url"]).query))


def unique_tag(prefix: str = "e2e") -> str:
    """A fresh lower-case hashtag name (letters and digits, never all digits)."""
    return prefix + secrets.token_hex(4)


# -- real federation peers (peers.py): snac2 instances and the Fedify oracle ----------------------

from peers import fedify_oracle, fedify_oracle_session, snac, snac_factory  # noqa: E402,F401
