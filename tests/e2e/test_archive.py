"""The owner's archive in Mastodon's format, on a server of its own (its outbox holds exactly
what this module posted): requested through the API, written by the queue in steps into R2 (a
multipart upload of 5 MiB parts), downloaded, and opened with Python's zipfile, which checks
every entry's CRC. Then imported into a fresh server, uploaded in 8 MiB chunks (their bodies
piped into R2 by the Worker), and compared post by post and file by file."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
import zlib

import pytest

from client import CheckedSession, describe
from conftest import FEDERATION_VARS, _extra_server
from helpers import password_token, register_app, wait_for

ARCHIVE = "/api/v1/topi/archive"


def png(width: int, height: int, noise: bool = False) -> bytes:
    """A PNG of `width`×`height`; `noise` makes its pixels random, so that it does not compress."""
    raw = b"".join(b"\x00" + (os.urandom(3 * width) if noise else b"\x10\x80\xf0" * width) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def archive_server():
    yield from _extra_server("archive", {})


@pytest.fixture(scope="module")
def alice(archive_server, spec):
    with CheckedSession(archive_server.url, spec) as api:
        token = password_token(api, register_app(api))
        with api.with_token(token) as session:
            yield session


def upload(session, data: bytes, description: str) -> dict:
    files = {"file": ("picture.png", io.BytesIO(data), "image/png")}
    resp = session.post("/api/v2/media", files=files, data={"description": description})
    assert resp.status_code == 200, describe(resp)
    return resp.json()


def post(session, **data) -> dict:
    resp = session.post("/api/v1/statuses", data=data)
    assert resp.status_code == 200, describe(resp)
    return resp.json()


def wait_until_done(session, archive_id: str, timeout: float = 240) -> dict:
    def done():
        resp = session.get(f"{ARCHIVE}/{archive_id}")
        assert resp.status_code == 200, describe(resp)
        body = resp.json()
        assert body["state"] != "failed", body
        return body if body["state"] == "done" else None

    return wait_for(done, timeout=timeout, interval=0.5, message="the archive")


@pytest.fixture(scope="module")
def seeded(alice):
    """Posts of every kind, two pictures that do not compress (the zip passes one 5 MiB part),
    an avatar, a favourite and a bookmark."""
    big = [png(1024, 1024, noise=True), png(1100, 1100, noise=True), png(900, 900, noise=True)]
    small = png(16, 16)
    media = [upload(alice, data, f"picture {i}") for i, data in enumerate([*big, small])]
    avatar = png(64, 64)
    resp = alice.patch("/api/v1/accounts/update_credentials", files={"avatar": ("me.png", io.BytesIO(avatar), "image/png")})
    assert resp.status_code == 200, describe(resp)
    first = post(alice, status="Hello #archives", spoiler_text="about archives", language="de")
    reply = post(alice, status="pictures", visibility="unlisted", in_reply_to_id=first["id"],
                 **{"media_ids[]": [m["id"] for m in media]})
    direct = post(alice, status="only for me", visibility="direct")
    poll = post(alice, status="choose", **{"poll[options][]": ["yes", "no"], "poll[expires_in]": "600"})
    boost = alice.post(f"/api/v1/statuses/{first['id']}/reblog")
    assert boost.status_code == 200, describe(boost)
    assert alice.post(f"/api/v1/statuses/{poll['id']}/favourite").status_code == 200
    assert alice.post(f"/api/v1/statuses/{reply['id']}/bookmark").status_code == 200
    return {"media": media, "bytes": [*big, small], "avatar": avatar, "first": first, "reply": reply,
            "direct": direct, "poll": poll}


@pytest.fixture(scope="module")
def archive(alice, seeded):
    resp = alice.post(ARCHIVE)
    assert resp.status_code == 202, describe(resp)
    requested = resp.json()
    assert requested["state"] == "running" and requested["url"] is None
    again = alice.post(ARCHIVE)
    assert again.json()["id"] == requested["id"], "one export at a time"
    done = wait_until_done(alice, requested["id"])
    latest = alice.get(ARCHIVE).json()
    assert latest["id"] == done["id"]
    download = alice.get(done["url"])
    assert download.status_code == 200, describe(download)
    assert download.headers["Content-Type"] == "application/zip"
    assert "attachment" in download.headers["Content-Disposition"]
    assert len(download.content) == done["size"] > 5 * 1024 * 1024
    return done, download.content


def test_the_archive_is_a_zip_of_mastodons_layout_with_every_crc_right(archive, seeded):
    _, content = archive
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert z.testzip() is None  # every entry read back and its CRC checked
        names = z.namelist()
        assert names[0] == "outbox.json" and names[-1] == "actor.json"
        assert {"likes.json", "bookmarks.json", "avatar.png"} <= set(names)
        files = [n for n in names if n.startswith("media_attachments/files/")]
        assert len(files) == 4 and all("/original/" in n for n in files)


def test_the_outbox_holds_every_post_oldest_first_with_its_attachments(archive, seeded):
    _, content = archive
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        outbox = json.loads(z.read("outbox.json"))
        assert outbox["id"] == "outbox.json" and outbox["type"] == "OrderedCollection"
        assert outbox["@context"][0] == "https://www.w3.org/ns/activitystreams"
        items = outbox["orderedItems"]
        assert outbox["totalItems"] == len(items) == 5
        assert [i["type"] for i in items] == ["Create", "Create", "Create", "Create", "Announce"]
        hello, pictures, direct, poll, boost = items
        assert hello["object"]["summary"] == "about archives"
        assert "de" in hello["object"]["contentMap"]
        assert any(t["type"] == "Hashtag" and t["name"] == "#archives" for t in hello["object"]["tag"])
        assert hello["object"]["id"] == seeded["first"]["uri"]
        assert pictures["object"]["inReplyTo"] == hello["object"]["id"]
        assert "https://www.w3.org/ns/activitystreams#Public" in pictures["object"]["cc"]  # unlisted
        assert all("#Public" not in a for a in direct["object"]["to"] + direct["object"]["cc"])
        assert poll["object"]["type"] == "Question"
        assert [o["name"] for o in poll["object"]["oneOf"]] == ["yes", "no"]
        assert boost["object"] == hello["object"]["id"]
        attachments = pictures["object"]["attachment"]
        assert [a["name"] for a in attachments] == ["picture 0", "picture 1", "picture 2", "picture 3"]
        for attachment, original in zip(attachments, seeded["bytes"]):
            assert attachment["mediaType"] == "image/png"
            assert z.read(attachment["url"]) == original  # the url is the file's path in the zip


def test_likes_bookmarks_and_the_actor_point_into_the_archive(archive, seeded):
    _, content = archive
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        likes = json.loads(z.read("likes.json"))
        assert likes["id"] == "likes.json" and likes["orderedItems"] == [seeded["poll"]["uri"]]
        bookmarks = json.loads(z.read("bookmarks.json"))
        assert bookmarks["orderedItems"] == [seeded["reply"]["uri"]]
        actor = json.loads(z.read("actor.json"))
        assert actor["type"] == "Person" and actor["preferredUsername"] == "alice"
        assert (actor["outbox"], actor["likes"], actor["bookmarks"]) == ("outbox.json", "likes.json", "bookmarks.json")
        assert actor["icon"]["url"] == "avatar.png" and "image" not in actor
        assert z.read("avatar.png") == seeded["avatar"]


def test_the_download_resumes_with_a_range_and_needs_the_owners_read_scope(archive, alice, make_token_for):
    done, content = archive
    part = alice.get(done["url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == content[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(content)}"
    tail = alice.get(done["url"], headers={"Range": f"bytes={len(content) - 10}-"})
    assert tail.status_code == 206 and tail.content == content[-10:]
    assert alice.get(done["url"], headers={"Range": f"bytes={len(content)}-"}).status_code == 416
    assert alice.get(done["url"], token=None).status_code == 401
    statuses_only = make_token_for("read:statuses write")
    assert alice.get(done["url"], token=statuses_only).status_code == 403
    assert alice.post(ARCHIVE, token=statuses_only).status_code == 403


@pytest.fixture
def make_token_for(alice):
    app = register_app(alice, scopes="read write follow push")
    return lambda scope: password_token(alice, app, scope)


# -- importing it into a fresh server --------------------------------------------------------------

IMPORTS = "/api/v1/topi/archive_imports"


@pytest.fixture(scope="module")
def target_server():
    yield from _extra_server("archive-import", {})


@pytest.fixture(scope="module")
def bob(target_server, spec):
    """The fresh server's owner (alice again: the instance is new, her posts are not there)."""
    with CheckedSession(target_server.url, spec) as api:
        token = password_token(api, register_app(api))
        with api.with_token(token) as session:
            yield session


def import_archive(session, content: bytes) -> dict:
    created = session.post(IMPORTS, data={"size": str(len(content))})
    assert created.status_code == 200, describe(created)
    job = created.json()
    assert job["state"] == "uploading" and job["chunks_received"] == []
    chunk = job["chunk_size"]
    numbers = list(range(1, job["chunks_total"] + 1))
    # The last chunk first, and the first one twice: a chunk sent again replaces itself.
    for n in [*reversed(numbers), 1]:
        body = content[(n - 1) * chunk:n * chunk]
        resp = session.put(f"{IMPORTS}/{job['id']}/chunks/{n}", data=body, headers={"Content-Type": "application/octet-stream"})
        assert resp.status_code == 200, describe(resp)
    assert session.get(f"{IMPORTS}/{job['id']}").json()["chunks_received"] == numbers
    finished = session.post(f"{IMPORTS}/{job['id']}/finish")
    assert finished.status_code == 202, describe(finished)

    def done():
        body = session.get(f"{IMPORTS}/{job['id']}").json()
        assert body["state"] != "failed", body
        return body if body["state"] == "done" else None

    return wait_for(done, timeout=240, interval=0.5, message="the import")


def own_statuses(session) -> list[dict]:
    me = session.get("/api/v1/accounts/verify_credentials").json()
    return session.get(f"/api/v1/accounts/{me['id']}/statuses", params={"limit": 40}).json()


def text(html: str) -> str:
    import re
    return re.sub(r"<[^>]+>", "", html)


@pytest.fixture(scope="module")
def imported(archive, bob):
    _, content = archive
    assert len(content) > 8 * 1024 * 1024, "two chunks"
    return import_archive(bob, content)


def test_an_imported_archive_gives_back_every_post_at_its_date(imported, alice, bob):
    # Four posts and the boost of one of them.
    assert (imported["posts_created"], imported["posts_existing"], imported["media_copied"]) == (5, 0, 4), imported
    assert imported["posts_skipped"] == 0, imported
    everything_before, everything = own_statuses(alice), own_statuses(bob)
    assert [(s["created_at"], s["reblog"] is None) for s in everything] == [(s["created_at"], s["reblog"] is None) for s in everything_before]
    before = [s for s in everything_before if s["reblog"] is None]
    after = [s for s in everything if s["reblog"] is None]
    assert len(after) == len(before) == 4
    for old, new in zip(before, after):
        for field in ("created_at", "spoiler_text", "visibility", "language", "sensitive"):
            assert old[field] == new[field], (field, old, new)
        assert text(old["content"]) == text(new["content"])
        assert [t["name"] for t in old["tags"]] == [t["name"] for t in new["tags"]]
        assert new["uri"].startswith(bob.base_url) and new["id"] != old["id"]
    by_text = {text(s["content"]): s for s in after}
    hello = next(s for t, s in by_text.items() if "Hello" in t)
    pictures = by_text["pictures"]
    assert pictures["in_reply_to_id"] == hello["id"], "a reply to an own post is threaded"
    poll = by_text["choose"]["poll"]
    assert poll["expired"] is True and [o["title"] for o in poll["options"]] == ["yes", "no"]
    boost = next(s for s in everything if s["reblog"] is not None)
    assert boost["reblog"]["id"] == hello["id"], "the boost of an own post, re-linked"


def test_imported_files_are_copied_with_their_alt_text(imported, seeded, bob):
    pictures = next(s for s in own_statuses(bob) if text(s["content"]) == "pictures")
    attachments = pictures["media_attachments"]
    assert [a["description"] for a in attachments] == ["picture 0", "picture 1", "picture 2", "picture 3"]
    for attachment, original in zip(attachments, seeded["bytes"]):
        served = bob.get(attachment["url"], token=None)
        assert served.status_code == 200 and served.content == original


def test_importing_the_same_archive_again_creates_nothing(imported, archive, bob):
    _, content = archive
    again = import_archive(bob, content)
    assert (again["posts_created"], again["posts_existing"]) == (0, 5), again
    assert len(own_statuses(bob)) == 5


# -- a Mastodon archive, made here from the documented format --------------------------------------

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
OLD_ACTOR = "https://mastodon.example/users/alice"


@pytest.fixture(scope="module")
def mastodon_server():
    """A server that federates with loopback peers: the boost's original is fetched from snac2."""
    yield from _extra_server("archive-mastodon", FEDERATION_VARS)


@pytest.fixture(scope="module")
def carol(mastodon_server, spec):
    with CheckedSession(mastodon_server.url, spec) as api:
        token = password_token(api, register_app(api))
        with api.with_token(token) as session:
            yield session


def note(n: int, published: str, content: str, **extra) -> dict:
    """The Create of a Note as Mastodon's outbox.json holds it (ActivityPub, as it federates)."""
    obj = {"id": f"{OLD_ACTOR}/statuses/{n}", "type": "Note", "summary": None, "inReplyTo": None,
           "published": published, "url": f"https://mastodon.example/@alice/{n}", "attributedTo": OLD_ACTOR,
           "to": [PUBLIC], "cc": [f"{OLD_ACTOR}/followers"], "sensitive": False, "content": content,
           "contentMap": {"en": content}, "attachment": [], "tag": []}
    obj.update(extra)
    return {"id": f"{OLD_ACTOR}/statuses/{n}/activity", "type": "Create", "actor": OLD_ACTOR, "published": published,
            "to": obj["to"], "cc": obj["cc"], "object": obj}


def mastodon_zip(items: list[dict], files: dict[str, bytes]) -> bytes:
    """A zip as Mastodon's BackupService writes one (rubyzip's default): deflated entries."""
    outbox = {"@context": "https://www.w3.org/ns/activitystreams", "id": "outbox.json", "type": "OrderedCollection",
              "totalItems": len(items), "orderedItems": items}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("actor.json", json.dumps({"id": OLD_ACTOR, "type": "Person", "preferredUsername": "alice"}))
        z.writestr("outbox.json", json.dumps(outbox))
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def mastodon_archive(mastodon_server, carol, snac):
    """snac2's bob posts, follows carol, and carol's archive from her old Mastodon server holds
    a post, a reply to it, a content warning, a poll that ended, a picture with alt text and a
    9 MB file (deflated, so inflated across steps; the upload takes two chunks), a boost of bob's
    post, and a boost of a post nobody serves."""
    bob_note = snac.note("bob's post that carol boosted on her old server")["uri"]
    snac.flush()
    me = carol.get("/api/v1/accounts/verify_credentials").json()
    snac.follow(f"{me['username']}@{mastodon_server.host}")
    snac.flush()
    wait_for(lambda: carol.get(f"/api/v1/accounts/{me['id']}/followers").json(), timeout=30, interval=0.5,
             message="snac's follow")
    picture = png(40, 30)
    big = os.urandom(9 * 1024 * 1024)
    media = "media_attachments/files/109/000/001/original/picture.png"
    video = "media_attachments/files/109/000/002/original/big.bin"
    items = [
        note(1, "2019-05-01T10:00:00Z", "<p>first post of mine, <a href=\"https://mastodon.example/tags/archived\" class=\"mention hashtag\" rel=\"tag\">#<span>archived</span></a> zanzibarquux</p>",
             contentMap={"fr": "x"}, tag=[{"type": "Hashtag", "href": "https://mastodon.example/tags/archived", "name": "#archived"}]),
        note(2, "2019-05-02T10:00:00Z", "<p>a reply to myself</p>", inReplyTo=f"{OLD_ACTOR}/statuses/1"),
        note(3, "2019-05-03T10:00:00Z", "<p>behind a warning</p><script>alert(1)</script>", summary="spoilers", sensitive=True,
             to=[f"{OLD_ACTOR}/followers"], cc=[PUBLIC]),
        {**note(4, "2019-05-04T10:00:00Z", "<p>which one?</p>"), "object": {**note(4, "2019-05-04T10:00:00Z", "<p>which one?</p>")["object"],
            "type": "Question", "endTime": "2019-05-05T10:00:00Z", "closed": "2019-05-05T10:00:00Z", "votersCount": 4,
            "oneOf": [{"type": "Note", "name": "tea", "replies": {"type": "Collection", "totalItems": 3}},
                      {"type": "Note", "name": "coffee", "replies": {"type": "Collection", "totalItems": 1}}]}},
        note(5, "2019-05-05T12:00:00Z", "<p>a picture</p>", attachment=[
            {"type": "Document", "mediaType": "image/png", "url": media, "name": "a small picture", "width": 40, "height": 30},
            {"type": "Document", "mediaType": "application/octet-stream", "url": video, "name": "noise"}]),
        {"id": f"{OLD_ACTOR}/statuses/6/activity", "type": "Announce", "actor": OLD_ACTOR, "published": "2019-05-06T10:00:00Z",
         "to": [PUBLIC], "cc": [f"{OLD_ACTOR}/followers"], "object": bob_note},
        {"id": f"{OLD_ACTOR}/statuses/7/activity", "type": "Announce", "actor": OLD_ACTOR, "published": "2019-05-07T10:00:00Z",
         "to": [PUBLIC], "object": "http://127.0.0.1:9/statuses/gone"},
    ]
    content = mastodon_zip(items, {media: picture, video: big})
    assert len(content) > 8 * 1024 * 1024, "two chunks"
    return {"zip": content, "bob_note": bob_note, "picture": picture, "big": big}


@pytest.fixture(scope="module")
def imported_from_mastodon(mastodon_archive, carol):
    return import_archive(carol, mastodon_archive["zip"])


def test_a_mastodon_archive_is_imported_with_dates_threads_polls_media_and_boosts(imported_from_mastodon, mastodon_archive, carol):
    done = imported_from_mastodon
    assert (done["posts_created"], done["posts_skipped"], done["media_copied"]) == (6, 1, 2), done
    assert "could not be fetched" in done["skipped"][0]["reason"], done
    statuses = own_statuses(carol)
    assert [s["created_at"] for s in statuses] == [
        "2019-05-06T10:00:00.000Z", "2019-05-05T12:00:00.000Z", "2019-05-04T10:00:00.000Z",
        "2019-05-03T10:00:00.000Z", "2019-05-02T10:00:00.000Z", "2019-05-01T10:00:00.000Z"], "in their order, at their dates"
    boost, pictures, poll, warned, reply, first = statuses
    assert boost["reblog"]["uri"] == mastodon_archive["bob_note"], "re-linked to bob's post, fetched from snac2"
    assert first["language"] == "fr" and [t["name"] for t in first["tags"]] == ["archived"]
    assert reply["in_reply_to_id"] == first["id"], "a reply to an own post is threaded"
    assert (warned["spoiler_text"], warned["sensitive"], warned["visibility"]) == ("spoilers", True, "unlisted")
    assert "script" not in warned["content"], "sanitized as remote posts are"
    assert poll["poll"]["expired"] is True and [(o["title"], o["votes_count"]) for o in poll["poll"]["options"]] == [("tea", 3), ("coffee", 1)]
    attachments = pictures["media_attachments"]
    assert [a["description"] for a in attachments] == ["a small picture", "noise"]
    for attachment, original in zip(attachments, [mastodon_archive["picture"], mastodon_archive["big"]]):
        served = carol.get(attachment["url"], token=None)
        assert served.status_code == 200 and served.content == original
    for status in statuses[1:]:
        assert status["uri"].startswith(carol.base_url) and int(status["id"]) < int(boost["id"])


def test_imported_posts_are_found_and_in_the_outbox_but_not_delivered(imported_from_mastodon, carol, snac):
    found = carol.get("/api/v2/search", params={"q": "zanzibarquux", "type": "statuses"}).json()["statuses"]
    assert [s["created_at"] for s in found] == ["2019-05-01T10:00:00.000Z"], found
    me = carol.get("/api/v1/accounts/verify_credentials").json()
    assert me["statuses_count"] == 6, me
    outbox = carol.get(f"/users/{me['username']}/outbox?page=true", token=None, headers={"Accept": "application/activity+json"}).json()
    assert any("first post of mine" in json.dumps(item) for item in outbox["orderedItems"]), outbox
    # snac follows carol: had the import federated, its inbox would have had Creates and an Announce.
    snac.flush()
    delivered = [d["activity"] for d in snac.inbox_deliveries() if isinstance(d["activity"], dict)]
    from_carol = [a for a in delivered if str(a.get("actor", "")).startswith(carol.base_url)]
    assert from_carol and not [a for a in from_carol if a.get("type") in ("Create", "Announce")], from_carol


def test_importing_the_mastodon_archive_again_creates_nothing(imported_from_mastodon, mastodon_archive, carol):
    again = import_archive(carol, mastodon_archive["zip"])
    assert (again["posts_created"], again["posts_existing"], again["media_copied"]) == (0, 6, 0), again
    assert len(own_statuses(carol)) == 6


def test_a_bad_archive_is_refused_with_its_reason(carol):
    assert carol.post(IMPORTS, data={"size": "0"}).status_code == 422
    failed = carol.post(IMPORTS, data={"size": "100"}).json()
    resp = carol.put(f"{IMPORTS}/{failed['id']}/chunks/1", data=b"x" * 99, headers={"Content-Type": "application/octet-stream"})
    assert resp.status_code == 422 and "100 bytes" in resp.json()["error"], describe(resp)
    carol.put(f"{IMPORTS}/{failed['id']}/chunks/1", data=b"not a zip " * 10, headers={"Content-Type": "application/octet-stream"})
    assert carol.post(f"{IMPORTS}/{failed['id']}/finish").status_code == 202
    body = wait_for(lambda: (b := carol.get(f"{IMPORTS}/{failed['id']}").json())["state"] == "failed" and b,
                    timeout=60, interval=0.5, message="the bad archive's failure")
    assert "central directory" in body["error"], body
