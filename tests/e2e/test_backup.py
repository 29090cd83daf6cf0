"""Backup and restore (`make backup`, `make restore`; README "Backups").

An instance that federates with a real peer (the Fedify oracle) is filled through the API and the
inbox: posts with media, a poll the peer voted in, a content warning, a thread, a pin, a
bookmark, a scheduled post, an avatar and a header, a follow each way, a list with the peer in
it, filters, markers, and notifications (follow, favourite, mention). scripts/backup.sh saves its
local state folder while it runs; the server stops; scripts/restore.sh rebuilds a fresh folder
from the archive; a new server starts on it at the same address (same PUBLIC_URL). Then:
- every API answer read before is read again, byte for byte the same JSON (ids, URLs, counts,
  dates), with the same OAuth token; the actor document and WebFinger too;
- every media file is served with the same bytes and content type;
- the search index was rebuilt (a word of a post finds it);
- federation goes on with the restored keys: the peer verifies the signature of a post delivered
  after the restore and of a signed fetch, and the server verifies the peer's Like;
- a second restore into the now non-empty folder is refused and changes nothing.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from client import CheckedSession, describe
from conftest import FEDERATION_VARS, REPO, Server, start_server
from helpers import password_token, register_app, unique, wait_for
from peers import AP_ACCEPT, activity_type
from test_media import png

AS = "https://www.w3.org/ns/activitystreams"


@dataclass
class Seeded:
    me: dict
    oracle_account: dict
    statuses: dict = field(default_factory=dict)  # name -> Status
    media: list = field(default_factory=list)  # URLs of every file: attachments, avatar, header
    list_id: str = ""
    filter_id: str = ""
    search_word: str = ""
    tag: str = ""


@dataclass
class Restored:
    before: dict
    after: dict
    seeded: Seeded
    server: Server
    token: str
    archive: Path
    timings: dict


def run_script(*argv: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run(["bash", *argv], cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "CI": "true", "NO_COLOR": "1"})
    return proc, time.monotonic() - started


def ok(resp: requests.Response):
    assert resp.status_code == 200, describe(resp)
    return resp.json()


def inbox(server: Server) -> str:
    return f"{server.url}/users/alice/inbox"


def seed(api: CheckedSession, server: Server, oracle) -> Seeded:
    actor = f"{server.url}/users/alice"
    # The peer follows the owner; the owner's Accept must verify there.
    follow = {"@context": AS, "id": f"{oracle.actor_url()}#follows/backup", "type": "Follow",
              "actor": oracle.actor_url(), "object": actor}
    assert oracle.send(inbox(server), follow)["status"] == 202
    accept = oracle.wait_received(lambda e: activity_type(e) == "Accept", timeout=30)
    assert accept["verified"], accept
    # The owner follows the peer (it accepts at once).
    found = ok(api.get("/api/v2/search", params={"q": f"@{oracle.handle()}", "resolve": "true"}))["accounts"]
    assert found, f"@{oracle.handle()} did not resolve"
    peer = found[0]
    ok(api.post(f"/api/v1/accounts/{peer['id']}/follow"))
    wait_for(lambda: ok(api.get("/api/v1/accounts/relationships", params={"id[]": peer["id"]}))[0]["following"], 30,
             message="the peer's Accept")

    ok(api.patch("/api/v1/accounts/update_credentials", files={
        "avatar": ("me.png", io.BytesIO(png(32, 32, (10, 120, 200))), "image/png"),
        "header": ("top.png", io.BytesIO(png(60, 20, (250, 200, 0))), "image/png"),
    }, data={"display_name": "Alice Backup", "note": "Backed up and restored.",
             "fields_attributes[0][name]": "home", "fields_attributes[0][value]": "https://example.com"}))
    me = ok(api.get("/api/v1/accounts/verify_credentials"))
    s = Seeded(me=me, oracle_account=peer, search_word=unique("restorable"), tag=unique("backuptag"))

    pictures = [png(20, 10, (200, 80, 40)), png(8, 8, (0, 0, 0))]
    media_ids = []
    for i, data in enumerate(pictures):
        media = ok(api.post("/api/v2/media", files={"file": (f"p{i}.png", io.BytesIO(data), "image/png")},
                            data={"description": f"picture {i}", "focus": "0.5,-0.5"}))
        media_ids.append(media["id"])
    post = lambda **fields: ok(api.post("/api/v1/statuses", data={"visibility": "public", **fields}))  # noqa: E731
    s.statuses["media"] = post(status=f"two pictures #{s.tag}", **{"media_ids[]": media_ids})
    s.statuses["poll"] = post(status="which one?", **{"poll[options][]": ["one", "two", "three"],
                                                        "poll[expires_in]": "86400", "poll[multiple]": "true"})
    s.statuses["cw"] = post(status=f"the {s.search_word} word, with it's \\n backslash\nand a second line",
                            spoiler_text="careful", sensitive="true", language="en")
    s.statuses["reply"] = post(status="replying to myself", in_reply_to_id=s.statuses["cw"]["id"])
    s.statuses["unlisted"] = post(status="not on the public timeline", visibility="unlisted")
    s.statuses["private"] = post(status="followers only", visibility="private")
    s.statuses["mention"] = post(status=f"hello @{oracle.handle()}")
    ok(api.post(f"/api/v1/statuses/{s.statuses['poll']['id']}/pin"))
    ok(api.post(f"/api/v1/statuses/{s.statuses['media']['id']}/favourite"))
    ok(api.post(f"/api/v1/statuses/{s.statuses['reply']['id']}/bookmark"))
    ok(api.post("/api/v1/statuses", data={"status": "later", "scheduled_at": "2099-01-01T00:00:00.000Z"}))

    lst = ok(api.post("/api/v1/lists", data={"title": "backup list", "replies_policy": "followed"}))
    ok(api.post(f"/api/v1/lists/{lst['id']}/accounts", data={"account_ids[]": [peer["id"]]}))
    s.list_id = lst["id"]
    flt = ok(api.post("/api/v2/filters", data={
        "title": "no spoilers", "context[]": ["home", "public"], "filter_action": "warn",
        "keywords_attributes[0][keyword]": "spoiler", "keywords_attributes[1][keyword]": "ending",
        "keywords_attributes[1][whole_word]": "false"}))
    ok(api.post(f"/api/v2/filters/{flt['id']}/statuses", data={"status_id": s.statuses["unlisted"]["id"]}))
    s.filter_id = flt["id"]
    ok(api.post("/api/v1/markers", data={"home[last_read_id]": s.statuses["mention"]["id"]}))

    # The peer likes a post, mentions the owner and votes in the poll.
    like = {"@context": AS, "id": f"{oracle.actor_url()}#likes/backup", "type": "Like",
            "actor": oracle.actor_url(), "object": s.statuses["media"]["uri"]}
    assert oracle.send(inbox(server), like)["status"] == 202
    note_id = f"{oracle.actor_url()}/notes/backup-mention"
    mention = {"@context": AS, "id": f"{note_id}/activity", "type": "Create", "actor": oracle.actor_url(),
               "to": [actor], "object": {"id": note_id, "type": "Note", "attributedTo": oracle.actor_url(),
                                         "to": [actor], "content": "<p>hi alice</p>",
                                         "tag": [{"type": "Mention", "href": actor}]}}
    assert oracle.send(inbox(server), mention)["status"] == 202
    vote_id = f"{oracle.actor_url()}/notes/backup-vote"
    vote = {"@context": AS, "id": f"{vote_id}/activity", "type": "Create", "actor": oracle.actor_url(), "to": [actor],
            "object": {"id": vote_id, "type": "Note", "name": "two", "attributedTo": oracle.actor_url(),
                       "inReplyTo": s.statuses["poll"]["uri"], "to": [actor]}}
    assert oracle.send(inbox(server), vote)["status"] == 202
    wait_for(lambda: {"follow", "favourite", "mention"} <= {n["type"] for n in ok(api.get("/api/v1/notifications"))}, 30,
             message="the peer's follow, like and mention as notifications")
    wait_for(lambda: ok(api.get(f"/api/v1/polls/{s.statuses['poll']['poll']['id']}"))["votes_count"] == 1, 30,
             message="the peer's vote")
    # Everything the owner posted that reaches the peer has arrived: the queue is idle.
    federated = [st["uri"] for st in s.statuses.values() if st["visibility"] != "direct"]
    wait_for(lambda: set(federated) <= {(e.get("activity") or {}).get("object", {}).get("id")
                                        for e in oracle.received() if activity_type(e) == "Create"
                                        and isinstance(e["activity"].get("object"), dict)}, 60,
             message="every post delivered to the peer")
    # The statuses as they are now (counts changed since they were posted), and every file.
    s.statuses.update({name: ok(api.get(f"/api/v1/statuses/{st['id']}")) for name, st in s.statuses.items()})
    s.media = [m["url"] for m in s.statuses["media"]["media_attachments"]] + [me["avatar"], me["header"]]
    return s


def snapshot(api: CheckedSession, server: Server, s: Seeded) -> dict:
    """Every answer to compare, by path: JSON bodies, and (status, content type, bytes) of files."""
    me, peer = s.me["id"], s.oracle_account["id"]
    paths = [
        "/api/v1/accounts/verify_credentials", f"/api/v1/accounts/{me}",
        f"/api/v1/accounts/{me}/statuses?limit=40", f"/api/v1/accounts/{me}/statuses?pinned=true",
        f"/api/v1/accounts/{me}/followers", f"/api/v1/accounts/{me}/following",
        f"/api/v1/accounts/{peer}", f"/api/v1/accounts/relationships?id[]={peer}",
        "/api/v1/timelines/home?limit=40", "/api/v1/timelines/public?limit=40",
        f"/api/v1/timelines/tag/{s.tag}", f"/api/v1/timelines/list/{s.list_id}",
        "/api/v1/lists", f"/api/v1/lists/{s.list_id}", f"/api/v1/lists/{s.list_id}/accounts",
        "/api/v2/filters", f"/api/v2/filters/{s.filter_id}",
        "/api/v1/notifications?limit=40", "/api/v2/notifications",
        "/api/v1/bookmarks", "/api/v1/favourites", "/api/v1/scheduled_statuses",
        "/api/v1/markers?timeline[]=home&timeline[]=notifications", "/api/v1/preferences",
        f"/api/v2/search?q={s.search_word}&type=statuses", f"/api/v2/search?q={s.tag}&type=hashtags",
        "/api/v1/instance", "/api/v2/instance",
        f"/api/v1/polls/{s.statuses['poll']['poll']['id']}",
    ]
    for st in s.statuses.values():
        paths += [f"/api/v1/statuses/{st['id']}", f"/api/v1/statuses/{st['id']}/context",
                  f"/api/v1/statuses/{st['id']}/favourited_by"]
        paths += [f"/api/v1/media/{m['id']}" for m in st["media_attachments"]]
    out = {path: ok(api.get(path)) for path in paths}
    # The counts in /api/v1/instance are cached in the isolate for a while (src/app/instance.rs):
    # the first server answers what it counted at start-up. They are checked against the posts
    # in test_the_seeded_instance_is_all_there instead.
    out["instance stats"] = out["/api/v1/instance"].pop("stats")
    for url in (f"{server.url}/users/alice", f"{server.url}/actor", f"{server.url}/users/alice/outbox",
                f"{server.url}/users/alice/followers", f"{server.url}/users/alice/following"):
        resp = requests.get(url, headers={"Accept": AP_ACCEPT}, timeout=30)
        assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
        out[url] = resp.json()
    out["webfinger"] = requests.get(f"{server.url}/.well-known/webfinger",
                                    params={"resource": f"acct:alice@{server.host}"}, timeout=30).json()
    for url in s.media:
        resp = requests.get(url, timeout=30)
        out[url] = (resp.status_code, resp.headers.get("Content-Type"), resp.content)
    return out


def differences(before, after, path="") -> list[str]:
    if type(before) is not type(after):
        return [f"{path}: {before!r} -> {after!r}"]
    if isinstance(before, dict):
        out = []
        for key in sorted(set(before) | set(after), key=str):
            if key not in after or key not in before:
                out.append(f"{path}/{key}: {'gone' if key not in after else 'new'}")
            else:
                out += differences(before[key], after[key], f"{path}/{key}")
        return out
    if isinstance(before, (list, tuple)):
        if len(before) != len(after):
            return [f"{path}: {len(before)} items -> {len(after)}"]
        return [d for i, (a, b) in enumerate(zip(before, after)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if before == after else [f"{path}: {str(before)[:200]!r} -> {str(after)[:200]!r}"]


@pytest.fixture(scope="module")
def restored(own_federation_server, fedify_oracle_session, spec, tmp_path_factory) -> Restored:
    server, oracle = own_federation_server, fedify_oracle_session
    oracle.reset()
    with CheckedSession(server.url, spec) as anonymous:
        token = password_token(anonymous, register_app(anonymous))
    with CheckedSession(server.url, spec, token=token) as api:
        seeded = seed(api, server, oracle)
        before = snapshot(api, server, seeded)

    archive = tmp_path_factory.mktemp("backups") / "topi.tar.gz"
    # A backup while the server runs: it reads the state folder beside wrangler dev.
    proc, backup_seconds = run_script("scripts/backup.sh", "--local", str(server.workdir / "state"), "--output", str(archive))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert archive.exists() and archive.stat().st_mode & 0o077 == 0, "the archive holds private keys: owner-only"
    port = int(server.url.rsplit(":", 1)[1])
    server.stop()

    workdir = tmp_path_factory.mktemp("restored")
    proc, restore_seconds = run_script("scripts/restore.sh", str(archive), "--local", str(workdir / "state"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verified" in proc.stderr, proc.stdout + proc.stderr
    new = start_server("restored", FEDERATION_VARS, max_retries=2, workdir=workdir, port=port)
    try:
        assert new.url == server.url
        with CheckedSession(new.url, spec, token=token) as api:
            after = snapshot(api, new, seeded)
        timings = {"backup_seconds": round(backup_seconds, 2), "restore_seconds": round(restore_seconds, 2),
                   "archive_bytes": archive.stat().st_size}
        print(f"\nbackup/restore of the seeded instance: {json.dumps(timings)}")
        yield Restored(before, after, seeded, new, token, archive, timings)
    finally:
        new.stop()


def test_every_api_answer_is_the_same_after_a_restore(restored):
    assert set(restored.before) == set(restored.after)
    diffs = [d for path in restored.before if path != "instance stats"
             for d in differences(restored.before[path], restored.after[path], path)]
    assert diffs == [], "\n".join(diffs[:40])


def test_the_seeded_instance_is_all_there(restored):
    """The comparison above compares something: what was seeded is in the answers."""
    after, s = restored.after, restored.seeded
    me = after["/api/v1/accounts/verify_credentials"]
    assert me["id"] == s.me["id"] and me["display_name"] == "Alice Backup"
    assert me["followers_count"] == 1 and me["following_count"] == 1
    ids = [st["id"] for st in after[f"/api/v1/accounts/{s.me['id']}/statuses?limit=40"]]
    assert {s.statuses[n]["id"] for n in ("media", "poll", "cw", "reply", "unlisted", "private", "mention")} <= set(ids)
    assert len(after[f"/api/v1/statuses/{s.statuses['media']['id']}"]["media_attachments"]) == 2
    poll = after[f"/api/v1/polls/{s.statuses['poll']['poll']['id']}"]
    assert poll["votes_count"] == 1 and [o["votes_count"] for o in poll["options"]] == [0, 1, 0]
    assert [a["id"] for a in after[f"/api/v1/lists/{s.list_id}/accounts"]] == [s.oracle_account["id"]]
    keywords = after[f"/api/v2/filters/{s.filter_id}"]["keywords"]
    assert sorted(k["keyword"] for k in keywords) == ["ending", "spoiler"]
    assert len(after[f"/api/v2/filters/{s.filter_id}"]["statuses"]) == 1
    assert {"follow", "favourite", "mention"} <= {n["type"] for n in after["/api/v1/notifications?limit=40"]}
    assert after["/api/v1/accounts/relationships?id[]=" + s.oracle_account["id"]][0]["followed_by"] is True
    assert len(after["/api/v1/scheduled_statuses"]) == 1
    assert after["instance stats"] == {"user_count": 1, "status_count": me["statuses_count"], "domain_count": 1}
    assert after["/api/v1/markers?timeline[]=home&timeline[]=notifications"]["home"]["last_read_id"] == s.statuses["mention"]["id"]
    # The cw post's text, with its line break and backslash, came back exactly.
    source = after[f"/api/v1/statuses/{s.statuses['cw']['id']}"]
    assert source["spoiler_text"] == "careful" and "\\n backslash" in source["content"]


def test_media_files_come_back_with_their_bytes_and_types(restored):
    assert len(restored.seeded.media) == 4
    for url in restored.seeded.media:
        status, content_type, data = restored.after[url]
        assert status == 200 and content_type == "image/png" and data.startswith(b"\x89PNG"), url
        assert restored.before[url] == restored.after[url], url


def test_search_finds_posts_after_a_restore(restored):
    """The search index (a virtual table, rebuilt by the restore) finds the post by a word."""
    found = restored.after[f"/api/v2/search?q={restored.seeded.search_word}&type=statuses"]["statuses"]
    assert [st["id"] for st in found] == [restored.seeded.statuses["cw"]["id"]]


def test_the_peer_verifies_what_the_restored_instance_signs(restored, fedify_oracle_session, spec):
    oracle, server = fedify_oracle_session, restored.server
    oracle.reset()
    with CheckedSession(server.url, spec, token=restored.token) as api:
        status = ok(api.post("/api/v1/statuses", data={"status": "still here after the restore", "visibility": "public"}))
        # The Create goes to the peer, a follower from before the backup, signed with the owner's restored key.
        delivered = oracle.wait_received(lambda e: activity_type(e) == "Create"
                                         and (e["activity"].get("object") or {}).get("id") == status["uri"], timeout=60)
        assert delivered["verified"] and delivered["actor_owns_key"], delivered
        assert delivered["key_id"] == f"{server.url}/users/alice#main-key", delivered
        # A signed fetch with the instance actor's restored key verifies at a peer that requires one.
        oracle.mode(require_signed_get=True)
        try:
            other = oracle.actor_url("impostor")
            assert ok(api.get("/api/v2/search", params={"q": other, "resolve": "true"}))["accounts"][0]["uri"] == other
        finally:
            oracle.mode(require_signed_get=False)
        verified = [g for g in oracle.signed_gets() if g["verified"]]
        assert verified and verified[-1]["key_id"] == f"{server.url}/actor#main-key", oracle.signed_gets()
        # And the peer's signature verifies here with the key kept in the restored database.
        like = {"@context": AS, "id": f"{oracle.actor_url()}#likes/after-restore", "type": "Like",
                "actor": oracle.actor_url(), "object": status["uri"]}
        assert oracle.send(inbox(server), like)["status"] == 202
        wait_for(lambda: [n for n in ok(api.get("/api/v1/notifications", params={"types[]": "favourite"}))
                          if n["status"]["id"] == status["id"]], 30, message="the peer's Like as a notification")


def test_a_restore_into_a_database_that_holds_data_is_refused(restored, spec):
    proc, _ = run_script("scripts/restore.sh", str(restored.archive), "--local", str(restored.server.workdir / "state"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "holds data" in proc.stderr and "--force" in proc.stderr, proc.stderr
    with CheckedSession(restored.server.url, spec, token=restored.token) as api:
        me = ok(api.get("/api/v1/accounts/verify_credentials"))
        assert me == restored.after["/api/v1/accounts/verify_credentials"] | {"statuses_count": me["statuses_count"],
                                                                                 "last_status_at": me["last_status_at"]}
