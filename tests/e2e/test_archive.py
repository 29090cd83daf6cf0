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
from conftest import _extra_server
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
    assert (imported["posts_created"], imported["posts_existing"], imported["media_copied"]) == (4, 0, 4), imported
    assert imported["posts_skipped"] == 1 and "boost" in imported["skipped"][0]["reason"], imported
    before = [s for s in own_statuses(alice) if s["reblog"] is None]
    after = own_statuses(bob)
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
    assert (again["posts_created"], again["posts_existing"]) == (0, 4), again
    assert len(own_statuses(bob)) == 4
