"""Helpers of the end-to-end suite: plain functions, one definition each. Fixtures live in
conftest.py; the peers (peers.py, hostile_peer.py, pasture_peer.py) and peers_smoke.py use the
process and polling helpers here too.

- processes and polling: `free_port`, `wait_for`, `wait_until_answers`, `stop_group`, `log_tail`;
- names: `unique`;
- OAuth: `pkce_pair`, `register_app`, `password_token`;
- the owner's API: `own_account`, `post_status`, `check_status`, `link_params`;
- storage: `d1_rows`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import requests

from client import CheckedSession, describe, expect_ok
from settings import OOB, PASSWORD, USERNAME

# -- processes and polling ------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released): for a server to start on, or
    as an address where nothing answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float = 20, interval: float = 0.25,
             message: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy (returned) or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def wait_until_answers(process: subprocess.Popen, probe: Callable[[], requests.Response], timeout: float,
                       interval: float = 0.5) -> str | None:
    """Call `probe` (one HTTP request to a server that `process` is starting) until it answers
    200 while the process runs. None once it did; otherwise what was seen last (an HTTP status or
    an exception's name), for the caller's error message with the exit code and log."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline and process.poll() is None:
        try:
            resp = probe()
            if resp.status_code == 200:
                return None
            last = f"HTTP {resp.status_code}: {resp.text[:200]!r}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(interval)
    return last


def stop_group(proc: subprocess.Popen | None, grace: float = 5) -> None:
    """Stop a process started with start_new_session=True: its group, by its PID (SIGTERM, and
    SIGKILL after `grace` seconds)."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def log_tail(path: Path | None, lines: int = 60) -> str:
    """The last `lines` lines of a log file."""
    if not path or not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# -- names ----------------------------------------------------------------------------------------


def unique(prefix: str = "e2e") -> str:
    """`prefix` and eight random lower-case hex digits: a fresh word for a hashtag, a search term
    or a domain label (the default prefix keeps it from being all digits), or, when the prefix
    ends with a space, a fresh phrase (a status text, a display name, a list title)."""
    return prefix + secrets.token_hex(4)


# -- OAuth ----------------------------------------------------------------------------------------


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


# -- the owner's API ------------------------------------------------------------------------------


def own_account(session: CheckedSession) -> dict:
    """The signed-in owner's CredentialAccount, read now (GET /api/v1/accounts/verify_credentials)."""
    return expect_ok(session.get("/api/v1/accounts/verify_credentials"))


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
    assert (account["username"], account["acct"]) == (USERNAME, USERNAME), f"{where}: account {account!r}"
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
    link = response.links.get(rel)
    if link is None:
        return None
    return dict(parse_qsl(urlsplit(link["url"]).query))


# -- storage --------------------------------------------------------------------------------------


def d1_rows(server, sql: str, params: tuple = ()) -> list[dict]:
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
