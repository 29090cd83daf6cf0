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

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import budget
import requests

from client import CheckedSession
from helpers import free_port, log_tail, own_account, password_token, register_app, stop_group, wait_until_answers
from openapi import OpenAPISpec
from settings import EMAIL, PASSWORD, TITLE, USERNAME

REPO = Path(__file__).resolve().parents[2]

STARTUP_TIMEOUT = 90

MAIN_VARS = {
    "ADMIN_USERNAME": USERNAME,
    "ADMIN_EMAIL": EMAIL,
    "ADMIN_PASSWORD": PASSWORD,
    "ALLOW_PASSWORD_GRANT": "true",
    "INSTANCE_TITLE": TITLE,
    # Every invocation logs what it spent of the free plan (budget.py checks it at the end).
    "BUDGET_REPORT": "true",
}
# Federating with peers on loopback: private addresses allowed (dev only), a one-second first retry.
FEDERATION_VARS = {"ALLOW_PRIVATE_ADDRESSES": "true", "FEDERATION_RETRY_SECONDS": "1"}

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
        return log_tail(self.log_path, lines)

    def stop(self) -> None:
        stop_group(self.process, grace=10)
        self.process = None
        if self.workdir and not os.environ.get("TOPI_E2E_KEEP"):
            shutil.rmtree(self.workdir / "state", ignore_errors=True)


def start_server(name: str, overrides: dict | None = None, repo: Path = REPO,
                 max_retries: int | None = None, workdir: Path | None = None,
                 port: int | None = None) -> Server:
    """Start `wrangler dev` on a free port with fresh local state; wait until it answers.

    `max_retries` replaces the queue consumer's retry count (wrangler.toml says 8, which at a
    one-second base delay still takes minutes) and shortens batch waits to a second: the server
    then runs from a copy of wrangler.toml in its work directory, with absolute paths.

    `workdir` runs the server on `workdir / "state"` as it is (e.g. filled by scripts/restore.sh;
    migrations and provisioning then run over it as `make dev` does), and `port` on that port (the
    same PUBLIC_URL as a server stopped before)."""
    shim = repo / "build" / "worker" / "shim.mjs"
    if not shim.exists():
        pytest.fail(f"{shim} does not exist: build the Worker first (make build)", pytrace=False)
    workdir = workdir or Path(tempfile.mkdtemp(prefix=f"topi-e2e-{name}-"))
    state = workdir / "state"
    log_path = workdir / "wrangler.log"
    empty_env = workdir / "empty.env"  # keeps a developer's .dev.vars out of the test config
    empty_env.write_text("")
    port = port or free_port()
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
        if migrate.returncode == 0:
            log.write(b"$ node scripts/provision.mjs\n")
            log.flush()
            migrate = subprocess.run(
                ["node", str(repo / "scripts" / "provision.mjs"), "--local", "--persist-to", str(state),
                 "--env-file", str(empty_env)],
                cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                timeout=180,
            )
    if migrate.returncode != 0:
        pytest.fail(f"d1 setup failed ({migrate.returncode}); log {log_path}:\n"
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
               "--log-level", "log"]  # "log": the Worker's console.log lines (budget.py reads them)
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

    last = wait_until_answers(server.process, lambda: requests.get(url + "/api/v1/instance", timeout=5),
                              STARTUP_TIMEOUT)
    if last is None:
        return server
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


def _extra_server(name: str, overrides: dict, **kwargs):
    srv = start_server(name, overrides, **kwargs)
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
    yield from _extra_server("federation", FEDERATION_VARS, max_retries=2)


@pytest.fixture(scope="module")
def own_federation_server() -> Server:
    """A server like `federation_server` for one module alone: for tests that fill the owner's
    lists (followers, blocks, notifications, ...) with remote accounts and count exactly what is
    in them (test_paging.py)."""
    yield from _extra_server("ownfederation", FEDERATION_VARS, max_retries=2)


@pytest.fixture(scope="session")
def fed_owner(federation_server: Server, spec: OpenAPISpec) -> CheckedSession:
    """The federation server's owner (alice), with a read write follow push token."""
    with CheckedSession(federation_server.url, spec) as api:
        token = password_token(api, register_app(api))
        with api.with_token(token) as session:
            yield session


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


@pytest.fixture
def api(server: Server, spec: OpenAPISpec) -> CheckedSession:
    """An anonymous client (own cookie jar); pass token=... per request or use .with_token()."""
    with CheckedSession(server.url, spec) as session:
        yield session


# -- the owner ------------------------------------------------------------------------------------


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


@pytest.fixture
def me(owner: CheckedSession) -> dict:
    """The owner's CredentialAccount as the test starts (`helpers.own_account` reads it again)."""
    return own_account(owner)


# -- reporting ------------------------------------------------------------------------------------


def _budget_logs() -> list[Path]:
    return [srv.log_path for srv in _SERVERS if srv.log_path is not None]


def pytest_sessionfinish(session, exitstatus):
    """Fails the run when an invocation went past a hard free-plan limit (budget.py)."""
    over = budget.over_the_limits(budget.read_logs(_budget_logs()))
    if over:
        session.config._budget_over = over
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    spent = budget.read_logs(_budget_logs())
    if spent:
        terminalreporter.section("free-plan budget per invocation")
        for line in budget.report(spent):
            terminalreporter.write_line(line)
        for line in getattr(config, "_budget_over", []):
            terminalreporter.write_line(f"OVER THE FREE PLAN'S LIMIT: {line}", red=True)
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


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long-running test (deselect with -m 'not slow')")


# -- real federation peers (peers.py): snac2 instances and the Fedify oracle ----------------------

from peers import fedify_oracle, fedify_oracle_session, snac, snac_factory  # noqa: E402,F401
