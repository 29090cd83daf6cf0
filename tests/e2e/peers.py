"""Real ActivityPub peers for the interop tests: snac2 instances and the Fedify oracle.

Both run on loopback over plain http, on free ports, each in a temporary directory and its own
process group, and are stopped by PID at teardown. Install them with `scripts/setup.sh test`
(snac2 from Debian bookworm-backports; Node 22 and @fedify/fedify 1.10.12 from npm in
tests/interop/fedify). Tests that need a missing peer are skipped, with the reason.

snac2 (`SnacPeer`, snac 2.75, C): the "Mastodon-like legacy peer". It signs with draft-cavage
rsa-sha256 only (headers `(request-target) host digest date`) and ignores RFC 9421 signatures.
What each helper relies on:
- start: `snac init DIR` answered through stdin (address, port, host:port, empty prefix, empty
  admin email), `"protocol": "http"` (and `dbglevel`) in DIR/server.json, `snac adduser DIR USER`
  (its output says "User password is ..."), `snac httpd DIR` in the background; ready when
  GET /USER with `Accept: application/activity+json` answers 200. Actor URL `http://HOST:PORT/USER`,
  inbox `/USER/inbox`, shared inbox `/shared-inbox`, handle `USER@127.0.0.1:PORT`.
- follow / unfollow / boost / unboost / webfinger / insert: the snac CLI (`snac follow DIR USER
  ACTOR`, ...). `snac unfollow` needs the actor URL (a handle is not resolved), so handles are
  resolved first with `snac webfinger DIR HANDLE` ("actor: URL" line).
- note / reply / like / unlike / edit / update_profile: snac's Mastodon API
  (`/api/v1/statuses`, `/statuses/:id/favourite`, `/unfavourite`, PUT `/statuses/:id`,
  PATCH `/accounts/update_credentials`) with a token from `POST /oauth/x-snac-get-token`
  (form `login`, `passwd`; the answer is the bare token as text/plain). A post is addressed by its
  Mastodon id, found by URL with `/api/v2/search?q=URL&resolve=true`; a post snac does not have
  yet is fetched into the timeline first with `snac insert`.
- delete: snac's API has no DELETE /statuses/:id; the web UI's form does it (`web_action`:
  POST /USER/admin/action, HTTP basic auth as the user, fields action=Delete, id=URL).
- every HTTP request to snac goes on a fresh connection (`http`): snac answers HTTP/1.1 without
  "Connection: close" but drops the connection after each response, so a client that reuses
  connections (requests.Session, connection pools) gets "connection reset" now and then.
- flush: `snac queue DIR USER` (works the user's queue: a post becomes deliveries, a received
  activity is processed at once instead of at the httpd's next look, ~3 s), then waits until
  DIR/queue holds no delivery due (the httpd's job threads send them; they look every ~3 s). An
  entry that failed is re-queued with a later time (server.json queue_retry_minutes, default 2,
  up to queue_retry_max times) and no longer counts. Without flush, snac delivers a post ~3-6 s
  after it was made, and processes a received activity ~3 s after its 202.
- exchanges / inbox_deliveries: snac archives every HTTP request it answers or makes (headers,
  body, status, response) under DIR/archive/<time>_RECV|SEND/ when that directory exists; start()
  creates it (archive=False to skip). snac answers an inbox POST 202 before it verifies the
  signature (a bad one is dropped later: log "bad signature"); a digest mismatch gets a 400.
- log_lines: snac's log (dbglevel 1 in server.json), e.g. "[bob] new 'Like' ACTOR OBJECT",
  "Unboost for URL", "bad signature ACTOR (reason)".
- readers (the JSON files under DIR; object files are DIR/object/<md5[:2]>/<md5>.json with md5 of
  the object's id): followers() from user/USER/followers/*.json (the follower's actor document),
  following() from user/USER/following/<md5>.json (the Follow while pending, the peer's Accept once
  confirmed; <md5>_a.json is the actor), notifications() from user/USER/notify/*.json ({type,
  actor, msg, objid}), timeline() from user/USER/private.idx (md5 lines), object(url),
  likes(url) / announces(url) / replies(url) from <md5>_l.idx / _a.idx / _c.idx (md5s of actors or
  objects). snac 2.75 removes the actor from _l.idx on Undo(Like) but leaves _a.idx as it is on
  Undo(Announce) (it logs "Unboost for URL"): check an unboost with log_lines or
  inbox_deliveries.

Fedify oracle (`FedifyOracle`): tests/interop/fedify/oracle.mjs under Node 22, a Fedify-powered
actor (`/users/oracle`, and `/users/impostor` with other keys) and a crypto oracle; see the header
of oracle.mjs for its /control API. Its inbox verifies with Fedify's verifyRequest (both specs).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from helpers import free_port, log_tail, stop_group, wait_for, wait_until_answers

REPO = Path(__file__).resolve().parents[2]
FEDIFY_DIR = REPO / "tests" / "interop" / "fedify"
NODE22 = FEDIFY_DIR / "node_modules" / ".bin" / "node"
ORACLE_SCRIPT = FEDIFY_DIR / "oracle.mjs"

AP_ACCEPT = "application/activity+json"
DRAFT = "draft-cavage-http-signatures-12"
RFC9421 = "rfc9421"
STARTUP_TIMEOUT = 30
KEEP = bool(os.environ.get("TOPI_E2E_KEEP"))


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


# -- snac2 ----------------------------------------------------------------------------------------


def snac_binary() -> str | None:
    return shutil.which("snac")


class SnacError(RuntimeError):
    pass


class SnacPeer:
    """One snac2 instance with one user, on http://127.0.0.1:PORT. See the module docstring."""

    def __init__(self, user: str = "bob", port: int | None = None, workdir: Path | None = None,
                 server_config: dict | None = None, dbglevel: int = 1, archive: bool = True):
        self.user = user
        self.port = port or free_port()
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix=f"topi-snac-{user}-"))
        self.basedir = self.workdir / "data"
        self.log_path = self.workdir / "snac.log"
        self.server_config = dict(server_config or {})
        self.dbglevel = dbglevel
        self.archive = archive
        self.password: str | None = None
        self.process: subprocess.Popen | None = None
        self._token: str | None = None

    def http(self, method: str, url: str, **kwargs) -> requests.Response:
        """One HTTP request to snac on a fresh connection: snac closes a kept-alive connection
        without saying so, and a request on a reused one gets "connection reset" now and then."""
        kwargs["headers"] = {"User-Agent": "topi-interop-tests", **kwargs.get("headers", {})}
        kwargs.setdefault("timeout", 30)
        return requests.request(method, url, **kwargs)

    # identity
    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    @property
    def actor_url(self) -> str:
        return f"{self.base_url}/{self.user}"

    @property
    def inbox(self) -> str:
        return f"{self.actor_url}/inbox"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base_url}/shared-inbox"

    @property
    def key_id(self) -> str:
        return f"{self.actor_url}#main-key"

    @property
    def handle(self) -> str:
        return f"{self.user}@{self.host}"

    def __repr__(self) -> str:
        return f"<SnacPeer {self.handle} pid={self.process.pid if self.process else None}>"

    # lifecycle
    def start(self) -> "SnacPeer":
        binary = snac_binary()
        if binary is None:
            raise SnacError("snac is not installed (scripts/setup.sh test)")
        answers = f"127.0.0.1\n{self.port}\n{self.host}\n\n\n"
        self._run([binary, "init", str(self.basedir)], input=answers)
        config_path = self.basedir / "server.json"
        config = json.loads(config_path.read_text())
        config.update({"protocol": "http", "dbglevel": self.dbglevel, **self.server_config})
        config_path.write_text(json.dumps(config, indent=4))
        if self.archive:
            (self.basedir / "archive").mkdir(exist_ok=True)
        out = self._run([binary, "adduser", str(self.basedir), self.user], input=f"{self.user}\n")
        match = re.search(r"User password is (\S+)", out)
        if not match:
            raise SnacError(f"snac adduser printed no password:\n{out}")
        self.password = match.group(1)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [binary, "httpd", str(self.basedir)], stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        last = wait_until_answers(
            self.process, lambda: self.http("GET", self.actor_url, headers={"Accept": AP_ACCEPT}, timeout=2),
            STARTUP_TIMEOUT, interval=0.1)
        if last is None:
            return self
        code = self.process.poll()
        self.stop()
        raise SnacError(f"snac httpd on {self.port} did not answer ({last}, exit code {code}); "
                        f"log {self.log_path}:\n{log_tail(self.log_path, 40)}")

    def stop(self) -> None:
        stop_group(self.process)
        self.process = None
        if not KEEP:
            shutil.rmtree(self.basedir, ignore_errors=True)

    def log_tail(self, lines: int = 60) -> str:
        return log_tail(self.log_path, lines)

    # CLI
    def _run(self, argv: list[str], input: str | None = None, timeout: float = 60) -> str:
        proc = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout)
        with open(self.log_path, "a") as log:
            log.write(f"$ {' '.join(argv[:1] + [os.path.basename(a) if a == str(self.basedir) else a for a in argv[1:]])}\n")
            log.write(proc.stderr)
        if proc.returncode != 0:
            raise SnacError(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def cli(self, command: str, *args: str, timeout: float = 60) -> str:
        """`snac COMMAND DIR USER ARGS...` (for commands that take a user); stdout."""
        return self._run([snac_binary(), command, str(self.basedir), self.user, *args], timeout=timeout)

    @staticmethod
    def _json_out(out: str) -> dict | None:
        start = out.find("{")
        if start < 0:
            return None
        try:
            return json.JSONDecoder().raw_decode(out[start:])[0]
        except ValueError:
            return None

    def webfinger(self, account: str) -> str:
        """The actor URL of `user@host` / `@user@host` (or an actor URL, returned as is)."""
        if account.startswith(("http://", "https://")):
            return account
        out = self.cli("webfinger_s", "@" + account.lstrip("@"))
        match = re.search(r"^actor: (\S+)", out, re.M)
        if not match:
            raise SnacError(f"snac webfinger found no actor for {account}:\n{out}")
        return match.group(1)

    def follow(self, target: str) -> dict | None:
        """Send a Follow to an actor (URL or user@host). Returns the Follow snac made."""
        return self._json_out(self.cli("follow", self.webfinger(target)))

    def unfollow(self, target: str) -> dict | None:
        """Send Undo(Follow) to an actor (URL or user@host). Returns the Undo snac made."""
        return self._json_out(self.cli("unfollow", self.webfinger(target)))

    def boost(self, url: str) -> dict | None:
        """Announce the post at `url` (fetched if needed). Returns the Announce."""
        return self._json_out(self.cli("boost", url))

    def unboost(self, url: str) -> dict | None:
        """Undo(Announce) of the post at `url`. Returns the Undo."""
        return self._json_out(self.cli("unboost", url))

    def insert(self, url: str) -> None:
        """Fetch an object (signed GET) and put it in the user's timeline."""
        self.cli("insert", url)

    def fetch(self, url: str) -> dict | None:
        """`snac request`: a signed GET of `url` as the user; the JSON it printed, if any."""
        return self._json_out(self.cli("request", url))

    def flush(self, timeout: float = 30) -> bool:
        """Work the user's queue now (`snac queue`: posts become deliveries, received activities
        are processed), then wait until the output queue has no delivery due (the httpd's job
        threads send it; they look every ~3 s). False when one is still due after `timeout`
        (e.g. a peer that keeps failing: failed deliveries are re-queued for later and do not
        count)."""
        self.cli("queue")
        deadline = time.monotonic() + timeout
        while True:
            if not self._due_queue_entries():
                time.sleep(0.3)  # the job thread may still be waiting for the answer
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def _due_queue_entries(self) -> list[Path]:
        """Due entries of the user's queue, and due deliveries ("type": "output") of the global
        queue. Entry files are named by the time they are due."""
        now = time.time()
        due = []
        for directory, outputs_only in ((self.basedir / "queue", True),
                                        (self.basedir / "user" / self.user / "queue", False)):
            for path in directory.glob("*.json"):
                try:
                    if float(path.stem) > now + 1:
                        continue
                except ValueError:
                    pass
                if outputs_only and (self._read(path) or {}).get("type") not in ("output", None):
                    continue
                due.append(path)
        return due

    # Mastodon API
    @property
    def token(self) -> str:
        if self._token is None:
            resp = self.http("POST", f"{self.base_url}/oauth/x-snac-get-token",
                             data={"login": self.user, "passwd": self.password})
            resp.raise_for_status()
            token = resp.text.strip()
            if not re.fullmatch(r"[0-9a-f]{16,}", token):
                raise SnacError(f"x-snac-get-token answered {resp.status_code} {resp.text[:200]!r}")
            self._token = token
        return self._token

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """A request to snac's Mastodon API as the user (path like /api/v1/...)."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.http(method, self.base_url + path, headers=headers, **kwargs)

    def _api_json(self, method: str, path: str, **kwargs) -> Any:
        resp = self.api(method, path, **kwargs)
        if resp.status_code != 200:
            raise SnacError(f"{method} {path} -> {resp.status_code}: {resp.text[:300]}")
        return resp.json()

    def status_id(self, url: str) -> str:
        """snac's Mastodon id of the post `url`, fetching the post first when snac lacks it."""
        for attempt in range(2):
            found = self._api_json("GET", "/api/v2/search", params={"q": url, "resolve": "true", "type": "statuses"})
            # A post someone boosted comes back as the boost (a wrapper whose `reblog` is the post).
            for status in found.get("statuses", []):
                for candidate in (status, status.get("reblog") or {}):
                    if url in (candidate.get("uri"), candidate.get("url")):
                        return candidate["id"]
            if attempt == 0:
                self.insert(url)
        raise SnacError(f"snac cannot find the post {url}")

    def note(self, text: str, visibility: str = "public", in_reply_to: str | None = None,
             spoiler_text: str | None = None, **fields) -> dict:
        """Post a status (public / unlisted / private / direct; mention with @user@host in the
        text). `in_reply_to` is a post URL. Returns the Mastodon Status (its `uri` is the Note id)."""
        data = {"status": text, "visibility": visibility, **fields}
        if in_reply_to:
            data["in_reply_to_id"] = self.status_id(in_reply_to)
        if spoiler_text:
            data["spoiler_text"] = spoiler_text
        return self._api_json("POST", "/api/v1/statuses", data=data)

    def reply(self, url: str, text: str, visibility: str = "public") -> dict:
        return self.note(text, visibility=visibility, in_reply_to=url)

    def like(self, url: str) -> dict:
        return self._api_json("POST", f"/api/v1/statuses/{self.status_id(url)}/favourite")

    def unlike(self, url: str) -> dict:
        return self._api_json("POST", f"/api/v1/statuses/{self.status_id(url)}/unfavourite")

    def edit(self, url: str, text: str) -> dict:
        """Edit an own post: snac sends Update(Note)."""
        return self._api_json("PUT", f"/api/v1/statuses/{self.status_id(url)}", data={"status": text})

    def delete(self, url: str) -> None:
        """Delete an own post: snac sends Delete (of a Tombstone). snac's Mastodon API has no
        DELETE /statuses/:id, so this is the web UI's action."""
        self.web_action("Delete", id=url)

    def web_action(self, action: str, **fields) -> None:
        """POST /USER/admin/action as the web UI does (HTTP basic auth as the user), e.g.
        action="Delete" with id=URL; snac answers 303 to the admin page."""
        resp = self.http("POST", f"{self.actor_url}/admin/action", data={"action": action, **fields},
                         auth=(self.user, self.password), allow_redirects=False)
        if resp.status_code not in (200, 303):
            raise SnacError(f"web action {action} -> {resp.status_code}: {resp.text[:300]}")

    def update_profile(self, **fields) -> dict:
        """PATCH update_credentials (display_name, note, ...): snac sends Update(Person)."""
        return self._api_json("PATCH", "/api/v1/accounts/update_credentials", data=fields)

    # data files
    def _read(self, path: Path) -> Any:
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def object_path(self, url: str) -> Path:
        h = md5(url)
        return self.basedir / "object" / h[:2] / f"{h}.json"

    def object(self, url: str) -> dict | None:
        """The object snac stored under this id (its own posts, received posts, actors)."""
        return self._read(self.object_path(url))

    def _object_by_md5(self, h: str) -> dict | None:
        return self._read(self.basedir / "object" / h[:2] / f"{h}.json")

    def _idx(self, path: Path) -> list[str]:
        try:
            return [line.strip() for line in path.read_text().splitlines() if line.strip()]
        except OSError:
            return []

    def _admirers(self, url: str, suffix: str) -> list[str]:
        h = md5(url)
        ids = []
        for entry in self._idx(self.basedir / "object" / h[:2] / f"{h}{suffix}.idx"):
            obj = self._object_by_md5(entry.lstrip("-"))
            if obj and not entry.startswith("-"):
                ids.append(obj.get("id"))
        return ids

    def likes(self, url: str) -> list[str]:
        """Actor ids that liked the post (snac's <md5>_l.idx)."""
        return self._admirers(url, "_l")

    def announces(self, url: str) -> list[str]:
        """Actor ids that boosted the post (snac's <md5>_a.idx)."""
        return self._admirers(url, "_a")

    def replies(self, url: str) -> list[str]:
        """Ids of the replies snac knows to the post (snac's <md5>_c.idx)."""
        return self._admirers(url, "_c")

    def followers(self) -> list[str]:
        d = self.basedir / "user" / self.user / "followers"
        return sorted(filter(None, ((self._read(p) or {}).get("id") for p in d.glob("*.json"))))

    def following(self) -> dict[str, str]:
        """{actor id: "accepted" | "pending"} of the accounts the user follows."""
        d = self.basedir / "user" / self.user / "following"
        result = {}
        for path in d.glob("*.json"):
            if path.stem.endswith("_a"):
                continue
            msg = self._read(path) or {}
            actor = (self._read(path.with_name(path.stem + "_a.json")) or {}).get("id")
            if msg.get("type") == "Accept":
                actor = actor or msg.get("actor")
                result[actor] = "accepted"
            else:
                obj = msg.get("object")
                actor = actor or (obj if isinstance(obj, str) else (obj or {}).get("id"))
                result[actor] = "pending"
        return result

    def notifications(self) -> list[dict]:
        """snac's notifications, oldest first: {"type", "utype", "actor", "objid", "msg", ...}."""
        d = self.basedir / "user" / self.user / "notify"
        return [n for n in (self._read(p) for p in sorted(d.glob("*.json"))) if n]

    def timeline(self) -> list[dict]:
        """The objects in the user's timeline (user/USER/private.idx), oldest first."""
        idx = self.basedir / "user" / self.user / "private.idx"
        return [o for o in (self._object_by_md5(h.lstrip("-")) for h in self._idx(idx)
                            if not h.startswith("-")) if o]

    def find_in_timeline(self, predicate: Callable[[dict], bool]) -> dict | None:
        for obj in reversed(self.timeline()):
            if predicate(obj):
                return obj
        return None

    # the HTTP archive (DIR/archive exists) and the log
    @staticmethod
    def _parse_meta(text: str) -> dict:
        decoder = json.JSONDecoder()
        meta, pos = {}, 0
        while True:
            match = re.compile(r"\s*(\w+): ").match(text, pos)
            if not match:
                return meta
            key, pos = match.group(1), match.end()
            try:
                value, end = decoder.raw_decode(text, pos)
                if text[end:end + 1] not in ("", "\n"):
                    raise ValueError
            except ValueError:
                end = text.find("\n", pos)
                end = len(text) if end < 0 else end
                value = text[pos:end]
            meta[key], pos = value, end

    def exchanges(self, direction: str | None = None) -> list[dict]:
        """Every HTTP request snac answered ("RECV") or made ("SEND"), oldest first, from its
        archive: {"dir", "time", "url" (SEND), "req" (headers; method, path for RECV), "status",
        "response" (headers), "payload" (request body: JSON when it parses), "body" (response)}."""
        root = self.basedir / "archive"
        result = []
        for d in sorted(root.glob("*_*"), key=lambda p: float(p.name.split("_")[0])):
            if direction and not d.name.endswith("_" + direction):
                continue
            meta_path = d / "_META"
            if not meta_path.exists():
                continue
            entry = self._parse_meta(meta_path.read_text(errors="replace"))
            entry["time"] = float(d.name.split("_")[0])
            for name, key in (("payload", "payload"), ("body", "body")):
                raw = d / name if (d / name).exists() else d / f"{name}.json"
                if raw.exists():
                    text = raw.read_text(errors="replace")
                    try:
                        entry[key] = json.loads(text)
                    except ValueError:
                        entry[key] = text
            result.append(entry)
        return result

    def inbox_deliveries(self) -> list[dict]:
        """POSTs snac's inboxes received (its archive): {"path", "headers", "activity", "status"}.
        snac answers 202 before it checks the signature; see log_lines("bad signature")."""
        out = []
        for e in self.exchanges("RECV"):
            req = e.get("req") or {}
            if req.get("method") == "POST" and str(req.get("path", "")).endswith("inbox"):
                out.append({"path": req["path"], "headers": req, "activity": e.get("payload"),
                            "status": e.get("status"), "time": e["time"]})
        return out

    def log_lines(self, pattern: str) -> list[str]:
        """Lines of snac's log matching a regular expression (snac writes the data directory's
        path as "~" in its log)."""
        if not self.log_path.exists():
            return []
        rx = re.compile(pattern)
        return [l for l in self.log_path.read_text(errors="replace").splitlines() if rx.search(l)]


# -- Fedify oracle --------------------------------------------------------------------------------


def node22_available() -> bool:
    return NODE22.exists() and (FEDIFY_DIR / "node_modules" / "@fedify" / "fedify").is_dir()


class OracleError(RuntimeError):
    pass


class FedifyOracle:
    """tests/interop/fedify/oracle.mjs under Node 22, and a client for its /control API."""

    def __init__(self, port: int | None = None, workdir: Path | None = None, verbose: bool = False):
        self.port = port or free_port()
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="topi-fedify-"))
        self.log_path = self.workdir / "oracle.log"
        self.verbose = verbose
        self.process: subprocess.Popen | None = None
        self.http = requests.Session()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def actor_url(self, name: str = "oracle") -> str:
        return f"{self.url}/users/{name}"

    def inbox(self, name: str = "oracle") -> str:
        return f"{self.url}/users/{name}/inbox"

    @property
    def shared_inbox(self) -> str:
        return f"{self.url}/inbox"

    def key_id(self, name: str = "oracle") -> str:
        return f"{self.actor_url(name)}#main-key"

    def ed25519_key_id(self, name: str = "oracle") -> str:
        return f"{self.actor_url(name)}#ed25519-key"

    def handle(self, name: str = "oracle") -> str:
        return f"{name}@{self.host}"

    def __repr__(self) -> str:
        return f"<FedifyOracle {self.url} pid={self.process.pid if self.process else None}>"

    def start(self) -> "FedifyOracle":
        if not node22_available():
            raise OracleError(f"{NODE22} or @fedify/fedify is missing (scripts/setup.sh test)")
        argv = [str(NODE22), str(ORACLE_SCRIPT), "--port", str(self.port), "--public-url", self.url]
        if self.verbose:
            argv.append("--verbose")
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(argv, cwd=FEDIFY_DIR, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        line = b""
        while time.monotonic() < deadline and self.process.poll() is None:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if ready:
                line = self.process.stdout.readline()
                if line.strip() == b"ready":
                    return self
                if not line:
                    break
        code = self.process.poll()
        self.stop()
        raise OracleError(f"the Fedify oracle did not print ready (exit code {code}, got {line!r}); "
                          f"log {self.log_path}:\n{log_tail(self.log_path, 40)}")

    def stop(self) -> None:
        stop_group(self.process)
        if self.process is not None and self.process.stdout:
            self.process.stdout.close()
        self.process = None

    def log_tail(self, lines: int = 60) -> str:
        return log_tail(self.log_path, lines)

    # control API
    def _call(self, method: str, path: str, body: dict | None = None, timeout: float = 60) -> Any:
        resp = self.http.request(method, self.url + path, json=body, timeout=timeout)
        if resp.status_code != 200:
            raise OracleError(f"{method} {path} -> {resp.status_code}: {resp.text[:500]}")
        return resp.json()

    def info(self) -> dict:
        return self._call("GET", "/control/info")

    def mode(self, **settings) -> dict:
        """inbox_status (int or None), key_fetch ("unsigned"/"signed"), time_window_seconds,
        auto_accept, accept_spec. Only the given keys change."""
        return self._call("POST", "/control/mode", settings)

    def received(self) -> list[dict]:
        return self._call("GET", "/control/received")

    def signed_gets(self) -> list[dict]:
        """GETs checked while require_signed_get was on: {path, verified, spec, key_id, error}."""
        return self._call("GET", "/control/signed-gets")

    def sent(self) -> list[dict]:
        return self._call("GET", "/control/sent")

    def reset(self) -> None:
        self._call("POST", "/control/reset", {})
        self.mode(inbox_status=None, key_fetch="unsigned", time_window_seconds=3600,
                  auto_accept=True, accept_spec=DRAFT, require_signed_get=False)

    def send(self, inbox: str, activity: dict | str, spec: str = DRAFT, key: str = "oracle",
             tamper: str | None = None, key_id: str | None = None, headers: dict | None = None) -> dict:
        """Sign (Fedify signRequest) and POST an activity; {status, headers, body, request}."""
        body = {"inbox": inbox, "activity": activity, "spec": spec, "key": key}
        if tamper:
            body["tamper"] = tamper
        if key_id:
            body["key_id"] = key_id
        if headers:
            body["headers"] = headers
        return self._call("POST", "/control/send", body)

    def get(self, url: str, spec: str = DRAFT, key: str = "oracle", accept: str = AP_ACCEPT) -> dict:
        """A GET signed as the oracle (spec "none" for unsigned); {status, headers, body}."""
        return self._call("POST", "/control/get", {"url": url, "spec": spec, "key": key, "accept": accept})

    def sign_proof(self, obj: dict, key: str = "oracle", mode: str = "raw",
                   created: str | None = None) -> dict:
        """The object with a FEP-8b32 eddsa-jcs-2022 proof by the actor's Ed25519 key."""
        body = {"object": obj, "key": key, "mode": mode}
        if created:
            body["created"] = created
        return self._call("POST", "/control/sign-proof", body)

    def verify_proof(self, obj: dict) -> dict:
        """{verified, proofs, error, log}: Fedify's verifyProof / verifyObject."""
        return self._call("POST", "/control/verify-proof", {"object": obj})

    def verify_request(self, method: str, url: str, headers: dict | list, body: bytes | str | None = None) -> dict:
        """{verified, signature_valid, spec, key_id, key_owner, actor_owns_key, error, log}."""
        payload: dict = {"method": method, "url": url,
                         "headers": [list(h) for h in headers] if isinstance(headers, list) else dict(headers)}
        if isinstance(body, bytes):
            import base64
            payload["body_base64"] = base64.b64encode(body).decode()
        elif body is not None:
            payload["body"] = body
        return self._call("POST", "/control/verify-request", payload)

    def wait_received(self, predicate: Callable[[dict], bool], timeout: float = 20) -> dict:
        """The first received entry matching `predicate`, waiting for it."""
        def find():
            return next((e for e in self.received() if predicate(e)), None)
        return wait_for(find, timeout, message="an activity at the Fedify oracle's inbox")


def activity_type(entry: dict) -> str | None:
    """The type of a received entry's activity (None for a non-JSON body)."""
    activity = entry.get("activity")
    return activity.get("type") if isinstance(activity, dict) else None


# -- pytest fixtures (import them into a conftest.py or test module to use them) -------------------


@pytest.fixture(scope="session")
def snac_factory():
    """make(user="bob", **kwargs) -> a started SnacPeer; all are stopped at the end of the session."""
    if snac_binary() is None:
        pytest.fail("snac2 is not installed: run scripts/setup.sh test", pytrace=False)
    peers: list[SnacPeer] = []

    def make(user: str = "bob", **kwargs) -> SnacPeer:
        peer = SnacPeer(user, **kwargs)
        peers.append(peer)
        return peer.start()

    yield make
    for peer in peers:
        peer.stop()


@pytest.fixture(scope="module")
def snac(snac_factory) -> SnacPeer:
    """A snac2 instance with user bob, one per test module."""
    return snac_factory("bob")


@pytest.fixture(scope="session")
def fedify_oracle_session():
    if not node22_available():
        pytest.fail("the Fedify oracle is not installed: run scripts/setup.sh test", pytrace=False)
    oracle = FedifyOracle().start()
    yield oracle
    oracle.stop()


@pytest.fixture
def fedify_oracle(fedify_oracle_session) -> FedifyOracle:
    """The session's Fedify oracle, with its inbox records, followers and mode reset."""
    fedify_oracle_session.reset()
    return fedify_oracle_session
