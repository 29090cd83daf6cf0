"""Issue #8 against the real Worker: what a rogue peer tries, with signed requests from throw-away
actors that hostile_peer.py serves on loopback (src/federation/hostile.rs has the same attacks
natively).

Two peers: `home` is the victims' server (bob and the others live there; it also has an open
redirect and files anyone could have uploaded), `elsewhere` is the attacker's own host (another
port is another host to Topi). Key A is the victims' real key; key B is the attacker's. The
Worker runs with ALLOW_PRIVATE_ADDRESSES (the `federation_server` fixture), so it fetches both.

Each test says in one line why it failed before the fix.
"""
from __future__ import annotations

import contextlib
import statistics
import time
from types import SimpleNamespace

import pytest

from client import CheckedSession, describe, expect_error
from helpers import d1_rows, free_port, wait_for
from hostile_peer import HostilePeer, RsaKey, signed_post
from settings import USERNAME

GENERIC_401 = {"error": "the request's signature could not be verified"}
GENERIC_503 = {"error": "the signer's key could not be fetched; try again later"}
MAX_DISPLAY_NAME_CHARS = 2048  # src/activitypub/vocab.rs
MAX_FIELDS = 16
MAX_HTML_BYTES = 64 * 1024  # src/content/sanitize.rs: remote HTML is cut to this before sanitizing
MAX_DOCUMENT_BYTES = 1024 * 1024  # src/federation/fetch.rs: a bigger actor is never read at all


class World:
    def __init__(self, server, home: HostilePeer, elsewhere: HostilePeer, keys):
        self.server, self.home, self.elsewhere, self.keys = server, home, elsewhere, keys
        self.inbox = f"{server.url}/inbox"
        self.alice = f"{server.url}/users/{USERNAME}"
        self.followers: list[tuple[str, RsaKey]] = []  # actors whose Follow was accepted

    def follow(self, actor: str, suffix: str, activity_id: str | None = None) -> dict:
        return {"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
                "id": activity_id or f"{actor}#follows/{suffix}", "actor": actor, "object": self.alice}

    def send(self, activity: dict, key_id: str, key: RsaKey):
        return signed_post(self.inbox, activity, key_id, key)

    def account(self, uri: str) -> dict | None:
        rows = d1_rows(self.server, "SELECT * FROM accounts WHERE uri = ?", (uri,))
        return rows[0] if rows else None

    def follows_with_id(self, activity_id: str) -> list[dict]:
        return d1_rows(self.server, "SELECT f.uri, a.uri AS actor FROM follows f JOIN accounts a ON a.id = f.account_id "
                                    "WHERE f.uri = ?", (activity_id,))

    def tidy_up(self) -> None:
        """Let Alice's Accepts arrive (for at most 10 s in all), then unfollow, so that nothing is
        left to deliver to peers that are about to go away (a later test must not find their
        dead letters)."""
        inboxes = [actor.removeprefix(self.home.url_base) + "/inbox" for actor, _ in self.followers]
        with contextlib.suppress(AssertionError):  # unfollow all the same
            wait_for(lambda: all(self.home.inbox_posts(path) for path in inboxes), 10, interval=0.2)
        for actor, key in self.followers:
            undo = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Undo", "id": f"{actor}#undo",
                    "actor": actor, "object": {"type": "Follow", "actor": actor, "object": self.alice}}
            self.send(undo, f"{actor}#main-key", key)


def pem(text: str | None) -> str:
    return (text or "").strip()


@pytest.fixture(scope="module")
def keys():
    return SimpleNamespace(a=RsaKey(), b=RsaKey())


@pytest.fixture(scope="module")
def world(federation_server, keys):
    with HostilePeer() as home, HostilePeer() as elsewhere:
        w = World(federation_server, home, elsewhere, keys)
        yield w
        w.tidy_up()


def known_follower(world: World, name: str) -> str:
    """`name` on the home peer with key A, known to Topi through a correctly signed Follow (which
    also proves this module's signing verifies, so every 401 below is about the attack)."""
    actor = world.home.person(name, world.keys.a)
    resp = world.send(world.follow(actor, "ok"), f"{actor}#main-key", world.keys.a)
    assert resp.status_code == 202, (resp.status_code, resp.text)
    world.followers.append((actor, world.keys.a))
    assert pem(world.account(actor)["public_key_pem"]) == pem(world.keys.a.public_pem)
    return actor


@pytest.fixture(scope="module")
def bob(world) -> str:
    return known_follower(world, "bob")


def test_an_open_redirect_cannot_replace_a_known_actor_or_speak_for_an_unknown_one(world, bob, keys):
    # Before the fix the document behind the redirect was stored as bob (key B) and the Follow got 202.
    home, elsewhere = world.home, world.elsewhere
    evil = elsewhere.url("/evil.json")
    key_id = home.url(f"/out?to={evil}#main-key")
    elsewhere.serve("/evil.json", home.person_document("bob", keys.b, id=bob, key_id=key_id))
    resp = world.send(world.follow(bob, "redirect"), key_id, keys.b)
    assert resp.status_code == 401, (resp.status_code, resp.text)
    assert resp.json() == GENERIC_401
    assert pem(world.account(bob)["public_key_pem"]) == pem(keys.a.public_pem), "bob's key was replaced"
    assert world.follows_with_id(f"{bob}#follows/redirect") == []

    # An actor Topi does not know yet: the redirect is followed, its answer is not believed, and
    # the actor's own URL (fetched without redirects) does not publish the attacker's key.
    carol = home.person("carol", keys.a)
    key_id = home.url(f"/out?to={elsewhere.url('/carol.json')}#main-key")
    elsewhere.serve("/carol.json", home.person_document("carol", keys.b, id=carol, key_id=key_id))
    resp = world.send(world.follow(carol, "redirect"), key_id, keys.b)
    assert resp.status_code == 401, (resp.status_code, resp.text)
    assert resp.json() == GENERIC_401
    assert elsewhere.gets("/carol.json") == 1 and home.gets("/users/carol") == 1, [r.path for r in home.requests]
    assert world.account(carol) is None, "an actor was stored from a redirect's target"


def test_a_file_uploaded_to_the_victims_host_is_never_the_victim(world, bob, keys, fed_owner):
    # Before the fix any JSON on bob's host that said `"id": bob` was stored as bob (key B), and one
    # naming itself was stored as a second "bob" that pushed the real one to `bob~ID`.
    home = world.home
    uploads = []
    for n, (content_type, as_itself) in enumerate([("application/json", False), ("application/activity+json", False),
                                                   ("application/activity+json", True)]):
        for victim in (bob, home.person(f"dave{n}", keys.a)):  # known to Topi, then not yet known
            upload = home.url(f"/files/{n}-{victim.rsplit('/', 1)[1]}.json")
            uploads.append(upload)
            key_id = f"{upload}#main-key"
            document = home.person_document("bob", keys.b, id=upload if as_itself else victim, key_id=key_id)
            home.serve(upload.removeprefix(home.url_base), document, content_type=content_type)
            resp = world.send(world.follow(victim, f"upload{n}"), key_id, keys.b)
            assert resp.status_code == 401, (content_type, as_itself, victim, resp.status_code, resp.text)
            assert resp.json() == GENERIC_401
            if victim != bob:  # nothing was refused early: the file itself was read, and not believed
                assert home.gets(upload.removeprefix(home.url_base)) == 1, (content_type, as_itself)
                assert world.account(victim) is None, (content_type, as_itself, victim)
    stored = d1_rows(world.server, f"SELECT uri FROM accounts WHERE uri IN ({','.join('?' * len(uploads))})", tuple(uploads))
    assert stored == [], "an uploaded file was stored as an actor"
    row = world.account(bob)
    assert (row["username"], pem(row["public_key_pem"])) == ("bob", pem(keys.a.public_pem)), row["username"]
    found = fed_owner.get(f"/api/v1/accounts/{row['id']}")  # (lookup does not find remote accounts yet, #4)
    assert found.status_code == 200, describe(found)
    assert (found.json_body["acct"], found.json_body["uri"]) == (f"bob@{home.host}", bob)


def test_an_unverified_oversized_actor_costs_one_fetch_and_is_not_stored(world, keys, fed_owner):
    # Before the fix the actor was sanitized and stored before its signature was checked, then
    # fetched again, and kept with its 500,000-character name and every field.
    home = world.home
    mallory = home.url("/users/mallory")
    depth = 27_000  # 11 bytes a level: ~300 KB of nested <div>
    document = home.person_document(
        "mallory", keys.a, name="m" * 500_000, summary="<div>" * depth + "bio" + "</div>" * depth,
        attachment=[{"type": "PropertyValue", "name": f"f{i}", "value": "v"} for i in range(2000)])
    home.serve("/users/mallory", document)
    assert len(home.routes["/users/mallory"].body) < MAX_DOCUMENT_BYTES, "keep it under the fetch cap"

    started = time.monotonic()
    resp = world.send(world.follow(mallory, "forged"), f"{mallory}#main-key", keys.b)
    elapsed = time.monotonic() - started
    assert resp.status_code == 401, (resp.status_code, resp.text)
    assert resp.json() == GENERIC_401
    assert elapsed < 5, f"a forged request took {elapsed:.1f}s"
    assert home.gets("/users/mallory") == 1, "one key fetch per request"
    assert world.account(mallory) is None, "an unverified actor was stored"

    # Signed with the key it publishes, the same actor is stored, cut to size.
    resp = world.send(world.follow(mallory, "ok"), f"{mallory}#main-key", keys.a)
    assert resp.status_code == 202, (resp.status_code, resp.text)
    world.followers.append((mallory, keys.a))
    row = world.account(mallory)
    account = fed_owner.get(f"/api/v1/accounts/{row['id']}")
    assert account.status_code == 200, describe(account)
    body = account.json_body
    assert 0 < len(body["display_name"]) <= MAX_DISPLAY_NAME_CHARS, len(body["display_name"])
    assert len(body["fields"]) <= MAX_FIELDS, len(body["fields"])
    assert len(body["note"]) <= MAX_HTML_BYTES, len(body["note"])  # the bio is cut before it is parsed


def test_an_answer_of_no_declared_length_is_cut_off_at_the_cap(world, fed_owner):
    """A peer that streams a document with no Content-Length is read up to the fetch cap, not to
    its end: the connection is dropped once the cap is passed (the isolate's memory is 128 MB)."""
    chunk = b" " * 65536
    url = world.home.serve_endless("/endless", chunk, repeat=4096)  # 256 MiB
    started = time.monotonic()
    found = fed_owner.get("/api/v2/search", params={"q": url, "resolve": "true"})
    assert found.status_code == 200, describe(found)
    assert found.json_body["accounts"] == [] and found.json_body["statuses"] == []
    assert time.monotonic() - started < 20
    # What got out: the cap, what the sockets' buffers held, and a second try on a fresh
    # connection (fetch::send tries twice on a network error) -- far from 256 MiB.
    assert wait_for(lambda: world.home.streamed.get("/endless"), timeout=10)
    assert world.home.streamed["/endless"] < 64 * MAX_DOCUMENT_BYTES, world.home.streamed


def bare_lf_multipart(size: int) -> bytes:
    """Parts of one tiny field each, lines ending in a bare LF, `size` bytes at most."""
    closing = b"--b--\n"
    parts, total = [], len(closing)
    while True:
        part = f'--b\nContent-Disposition: form-data; name="f{len(parts)}"\n\nx\n'.encode()
        if total + len(part) > size:
            return b"".join(parts) + closing
        parts.append(part)
        total += len(part)


def test_multipart_bodies_are_split_in_linear_time(federation_server, spec):
    # Before the fix each part searched the rest of the body for CRLF: 1 MiB took ~28 s, ~256x 64 KiB.
    timings = {}
    with CheckedSession(federation_server.url, spec) as api:
        for size in (64 * 1024, 1024 * 1024):
            body = bare_lf_multipart(size)
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                resp = api.post("/oauth/token", data=body, token=None, timeout=20,
                                headers={"Content-Type": "multipart/form-data; boundary=b"})
                runs.append(time.perf_counter() - started)
                assert 400 <= resp.status_code < 500, describe(resp)
                expect_error(resp, resp.status_code)
            timings[size] = statistics.median(runs)
    ratio = timings[1024 * 1024] / timings[64 * 1024]
    assert ratio < 64, f"16x the body took {ratio:.0f}x the time ({timings})"
    assert timings[1024 * 1024] < 5, timings


def test_deeply_nested_bracket_keys_are_refused_and_the_worker_survives(federation_server, spec):
    # Before the fix `a[b][b]…` recursed once a level and overflowed the Wasm stack (the instance was reset).
    deep = "a" + "[b]" * 3000 + "=1"
    with CheckedSession(federation_server.url, spec) as api:
        for path in ("/api/v1/apps", "/oauth/token"):
            resp = api.post(path, data=deep, token=None, headers={"Content-Type": "application/x-www-form-urlencoded"})
            expect_error(resp, 400)
            after = api.get("/api/v1/instance", token=None)
            assert after.status_code == 200, describe(after)


def test_activity_ids_belong_to_their_senders(world, keys):
    # Before the fix an activity id on another host was accepted (202), squatting ids that host had not sent yet.
    home, elsewhere = world.home, world.elsewhere
    eve = elsewhere.person("eve", keys.a)
    squat = world.follow(eve, "squat", activity_id=home.url("/users/bob#follows/squatted"))
    resp = world.send(squat, f"{eve}#main-key", keys.a)
    assert resp.status_code == 400, (resp.status_code, resp.text)
    assert "error" in resp.json()
    assert world.follows_with_id(squat["id"]) == [] and world.account(eve) is None

    # Ids are remembered per sender: a neighbour on the same host sending an id first does not
    # make the other's activity look like a replay (before, the second Follow was dropped).
    shared_id = home.url("/users/grace#follows/1")
    for name in ("frank", "grace"):
        actor = home.person(name, keys.a)
        resp = world.send(world.follow(actor, "x", activity_id=shared_id), f"{actor}#main-key", keys.a)
        assert resp.status_code == 202, (name, resp.status_code, resp.text)
        world.followers.append((actor, keys.a))
    assert sorted(r["actor"] for r in world.follows_with_id(shared_id)) == [home.url("/users/frank"), home.url("/users/grace")]


def test_inbox_refusals_say_nothing_about_the_key_fetch(world, keys):
    # Before the fix the 401/503 body carried the fetch's error: the URL, its host and port, and the status.
    home = world.home
    home.serve("/users/locked", None, status=403)
    down = f"http://127.0.0.1:{free_port()}/users/nobody"  # nobody listens there
    for actor, status, expected in [(home.url("/users/ghost"), 401, GENERIC_401),  # 404
                                    (home.url("/users/locked"), 401, GENERIC_401),  # 403
                                    (down, 503, GENERIC_503)]:  # connection refused: worth a retry
        resp = world.send(world.follow(actor, "probe"), f"{actor}#main-key", keys.a)
        assert resp.status_code == status, (actor, resp.status_code, resp.text)
        assert resp.json() == expected, (actor, resp.text)
        for secret in ("127.0.0.1", str(home.port), down.split(":")[2].split("/")[0], "404", "403", "refused"):
            assert secret not in resp.text, (actor, secret, resp.text)
    assert home.gets("/users/ghost") >= 1 and home.gets("/users/locked") >= 1, "the keys were really looked for"
