"""Media uploads into the Worker's real local R2: upload, serve, describe, attach, avatars."""

from __future__ import annotations

import io
import struct
import zlib

from client import describe, expect_error
from helpers import post_status


def png(width: int, height: int, rgb=(200, 80, 40)) -> bytes:
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def upload(owner, data: bytes, content_type: str = "image/png", **fields):
    files = {"file": ("picture.png", io.BytesIO(data), content_type)}
    return owner.post("/api/v2/media", files=files, data=fields)


def test_an_upload_is_stored_in_r2_and_served_back(owner, api):
    data = png(30, 20)
    resp = upload(owner, data, description="A small orange rectangle", focus="0.5,-0.25")
    assert resp.status_code == 200, describe(resp)  # synchronous: 200 with a url, never 202
    media = resp.json()
    assert media["type"] == "image" and media["description"] == "A small orange rectangle"
    assert media["meta"]["original"] == {"width": 30, "height": 20, "size": "30x20", "aspect": 1.5}
    assert media["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    served = api.get(media["url"], token=None)
    assert served.status_code == 200 and served.content == data
    assert served.headers["Content-Type"] == "image/png"
    again = owner.get(f"/api/v1/media/{media['id']}")
    assert again.status_code == 200 and again.json()["url"] == media["url"]


def test_alt_text_can_be_changed(owner):
    media = upload(owner, png(4, 4)).json()
    resp = owner.put(f"/api/v1/media/{media['id']}", data={"description": "Now described"})
    assert resp.status_code == 200 and resp.json()["description"] == "Now described"


def test_media_attach_to_a_status_and_show_in_media_timelines(owner, api):
    first, second = (upload(owner, png(8, 8)).json() for _ in range(2))
    status = owner.post("/api/v1/statuses", data={"status": "two pictures", "visibility": "public", "media_ids[]": [first["id"], second["id"]]}).json()
    assert [m["id"] for m in status["media_attachments"]] == [first["id"], second["id"]]
    only_media = api.get("/api/v1/timelines/public", params={"only_media": "true", "limit": 40}, token=None).json()
    assert status["id"] in [s["id"] for s in only_media]
    text_only = post_status(owner, "no pictures here")
    assert text_only["id"] not in [s["id"] for s in only_media]
    reuse = owner.post("/api/v1/statuses", data={"status": "again", "media_ids[]": [first["id"]]})
    expect_error(reuse, 422)


def test_a_post_may_be_only_a_picture(owner):
    media = upload(owner, png(2, 2)).json()
    resp = owner.post("/api/v1/statuses", data={"media_ids[]": [media["id"]]})
    assert resp.status_code == 200, describe(resp)
    assert len(resp.json()["media_attachments"]) == 1


def test_bad_uploads_are_refused_and_store_nothing(owner):
    expect_error(upload(owner, b"not an image at all"), 422)
    expect_error(upload(owner, b"PK\x03\x04zip", content_type="application/zip"), 422)
    expect_error(owner.post("/api/v2/media", data={"description": "no file"}), 422)
    expect_error(owner.post("/api/v1/statuses", data={"status": "x", "media_ids[]": ["12345"]}), 422)


def test_uploading_needs_write_media(api, make_token):
    read_only = make_token("read")
    resp = api.post("/api/v2/media", files={"file": ("a.png", io.BytesIO(png(2, 2)), "image/png")}, token=read_only)
    expect_error(resp, 403)


def test_avatar_and_header_uploads_change_the_profile(owner, api):
    avatar = png(48, 48, (10, 120, 200))
    files = {"avatar": ("me.png", io.BytesIO(avatar), "image/png"), "header": ("top.png", io.BytesIO(png(60, 20)), "image/png")}
    resp = owner.patch("/api/v1/accounts/update_credentials", files=files, data={"display_name": "With picture"})
    assert resp.status_code == 200, describe(resp)
    me = resp.json()
    assert "/media/" in me["avatar"] and me["avatar_static"] == me["avatar"]
    assert api.get(me["avatar"], token=None).content == avatar
    assert "/media/" in me["header"]


def test_a_file_sent_without_a_type_is_known_by_its_bytes(owner):
    """The toot CLI and `curl -F file=@name` send file parts with no Content-Type (issue #14)."""
    data = png(8, 6)
    resp = owner.post("/api/v2/media", files={"file": ("noext", io.BytesIO(data))})
    assert resp.status_code == 200, describe(resp)
    media = resp.json()
    assert media["type"] == "image" and media["meta"]["original"]["width"] == 8
    # A file that is not what its type (or its name) claims is still refused.
    expect_error(owner.post("/api/v2/media", files={"file": ("fake.png", io.BytesIO(b"<html><script>x</script>"))}), 422)
    expect_error(upload(owner, b"<html><script>x</script>", content_type="video/mp4"), 422)
