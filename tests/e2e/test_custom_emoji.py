"""Custom emoji (`/admin/custom_emojis`, docs/web.md "Custom emoji") in headless Chromium: an
emoji uploaded on the page is listed by `/api/v1/custom_emojis` (schema-checked), is used by a
post that says `:shortcode:` (its `emojis`, the page's `<img>`, and the `Emoji` tag of the Note
delivered to the Fedify oracle, whose `id` dereferences), and by the owner's name; a file that is
not a PNG/GIF/WebP, or is over 256 KB, is refused with its reason and nothing stored; a form
without its token changes nothing; disabling hides it, deleting removes its image. The module
has a server of its own."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
import requests

from browser import page, screenshot  # noqa: F401 (the fixture)
from client import CheckedSession
from conftest import FEDERATION_VARS, _extra_server
from helpers import d1_rows, password_token, register_app, unique
from peers import activity_type
from test_sign_in import check_page, hidden, sign_in_in_browser, sign_in_over_http, tab_reaches

AS = "https://www.w3.org/ns/activitystreams"


def png(width: int = 16, height: int = 16) -> bytes:
    """A small valid PNG (one colour)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def server():
    yield from _extra_server("customemoji", FEDERATION_VARS, max_retries=2)


@pytest.fixture(scope="module")
def owner(server, spec):
    with CheckedSession(server.url, spec) as api:
        api.token = password_token(api, register_app(api, name="emoji poster"))
        yield api


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("emoji")
    made = {
        "blob.png": png(),
        # A script in an image's clothes: the name and the browser's type say PNG, the bytes do not.
        "fake.png": b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        # A real PNG header, then padding past Mastodon's 256 KB (the body stays under 1 MiB).
        "huge.png": png() + b"\x00" * (300 * 1024),
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in made}


def listed(server, spec) -> list[dict]:
    with CheckedSession(server.url, spec) as anyone:  # schema-checked by the client
        resp = anyone.get("/api/v1/custom_emojis")
    assert resp.status_code == 200, resp.text
    return resp.json_body


def stored() -> str:
    return "SELECT shortcode, r2_key, disabled FROM custom_emojis WHERE domain IS NULL"


def open_page(page, server) -> None:
    page.goto(f"{server.url}/admin/custom_emojis")
    if "/auth/sign_in" in page.url:
        sign_in_in_browser(page, server.url)
        page.goto(f"{server.url}/admin/custom_emojis")


def upload(page, shortcode: str, file: Path, category: str = "") -> None:
    page.get_by_label("Shortcode").fill(shortcode)
    page.get_by_label("Image (PNG, GIF or WebP, at most 256 KB)").set_input_files(str(file))
    page.get_by_label("Category (optional)").fill(category)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()


def test_uploads_that_are_not_small_images_are_refused_and_store_nothing(page, server, spec, files):
    open_page(page, server)
    assert page.get_by_role("heading", name="Custom emoji", exact=True).is_visible()
    check_page(page)
    tab_reaches(page, "#new-shortcode")

    upload(page, "fake", files["fake.png"])
    assert "must be a PNG, GIF or WebP file" in page.get_by_role("alert").inner_text()
    upload(page, "huge", files["huge.png"])
    assert "smaller than 256 KB" in page.get_by_role("alert").inner_text()
    page.locator("#new-shortcode").evaluate("e => e.removeAttribute('pattern')")
    upload(page, "no-dashes", files["blob.png"])
    assert "letters, digits or underscores" in page.get_by_role("alert").inner_text()
    screenshot(page, "admin-custom-emojis-refused")
    assert d1_rows(server, stored()) == [] and listed(server, spec) == []


def test_an_uploaded_emoji_is_listed_used_and_federated(page, server, spec, owner, files, fedify_oracle):
    code = unique("blob").replace("-", "_")
    open_page(page, server)
    upload(page, code, files["blob.png"], category="Blobs")
    check_page(page)
    screenshot(page, "admin-custom-emojis")
    card = page.locator(f"#emoji-{code}")
    assert "Enabled" in card.inner_text() and "Blobs" in card.inner_text()
    assert card.get_by_role("img", name=f":{code}:").evaluate("i => i.naturalWidth") == 16, "the image loads from R2"
    [emoji] = listed(server, spec)
    assert (emoji["shortcode"], emoji["category"], emoji["visible_in_picker"]) == (code, "Blobs", True)
    image = requests.get(emoji["url"], timeout=30)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png" and image.content == files["blob.png"].read_bytes()

    upload(page, code, files["blob.png"])
    assert "has already been taken" in page.get_by_role("alert").inner_text()
    assert len(d1_rows(server, stored())) == 1

    # The oracle follows the owner, so that the post is delivered to it.
    follow = {"@context": AS, "id": f"{fedify_oracle.actor_url()}#follows/{unique('f')}", "type": "Follow",
              "actor": fedify_oracle.actor_url(), "object": f"{server.url}/users/alice"}
    assert fedify_oracle.send(f"{server.url}/users/alice/inbox", follow)["status"] == 202
    fedify_oracle.wait_received(lambda e: activity_type(e) == "Accept", timeout=30)

    status = owner.post("/api/v1/statuses", data={"status": f"hello :{code}: and :nothere:", "spoiler_text": f"cw :{code}:"}).json_body
    assert [e["shortcode"] for e in status["emojis"]] == [code]
    assert set(status["emojis"][0]) <= {"shortcode", "url", "static_url", "visible_in_picker", "category"}
    assert f":{code}:" in status["content"], "the content keeps the text, as Mastodon's does; clients substitute"

    delivered = fedify_oracle.wait_received(lambda e: activity_type(e) == "Create"
                                            and (e["activity"].get("object") or {}).get("id") == status["uri"], timeout=60)
    assert delivered["verified"], delivered
    tags = [t for t in delivered["activity"]["object"]["tag"] if t.get("type") == "Emoji"]
    assert len(tags) == 1, delivered["activity"]["object"]["tag"]
    [tag] = tags
    assert tag["name"] == f":{code}:" and tag["icon"] == {"type": "Image", "mediaType": "image/png", "url": emoji["url"]}
    assert tag["updated"].endswith("Z")
    object_doc = requests.get(tag["id"], headers={"accept": "application/activity+json"}, timeout=30)
    assert object_doc.status_code == 200 and object_doc.headers["content-type"].startswith("application/activity+json")
    assert {k: object_doc.json()[k] for k in ("id", "type", "name", "icon")} == {k: tag[k] for k in ("id", "type", "name", "icon")}

    # The public page shows the emoji as an image with its shortcode as alt text.
    page.goto(status["url"])
    check_page(page)
    post = page.locator(f"#post-{status['id']}")
    assert post.locator(f"img.custom-emoji[alt=':{code}:']").count() == 2, "in the warning and in the text"
    screenshot(page, "custom-emoji-post")

    # The owner's name uses it too: the account's emojis and the actor's tags.
    account = owner.patch("/api/v1/accounts/update_credentials", data={"display_name": f"Alice :{code}:"}).json_body
    assert [e["shortcode"] for e in account["emojis"]] == [code]
    actor = requests.get(f"{server.url}/users/alice", headers={"accept": "application/activity+json"}, timeout=30).json()
    assert [t["name"] for t in actor["tag"] if t["type"] == "Emoji"] == [f":{code}:"]
    profile = requests.get(f"{server.url}/@alice", timeout=30).text
    assert f'alt=":{code}:"' in profile

    # Disabled: no longer offered, nor used by new posts.
    page.goto(f"{server.url}/admin/custom_emojis")
    card = page.locator(f"#emoji-{code}")
    card.get_by_label("Enabled").uncheck()
    card.get_by_label("Category").fill("")
    card.get_by_role("button", name=f"Save :{code}:").click()
    page.wait_for_load_state()
    check_page(page)
    assert "Disabled" in page.locator(f"#emoji-{code}").inner_text()
    assert listed(server, spec) == []
    later = owner.post("/api/v1/statuses", data={"status": f"again :{code}:"}).json_body
    assert later["emojis"] == []

    # Deleted: the row and the image go.
    page.locator(f"#emoji-{code}").get_by_role("button", name=f"Delete :{code}:").click()
    page.wait_for_load_state()
    assert d1_rows(server, stored()) == []
    assert requests.get(emoji["url"], timeout=30).status_code == 404
    assert requests.get(tag["id"], headers={"accept": "application/activity+json"}, timeout=30).status_code == 404


def test_the_forms_refuse_a_post_without_the_token(server, spec, files):
    cookie = sign_in_over_http(server.url)
    listing = requests.get(f"{server.url}/admin/custom_emojis", headers={"Cookie": cookie}, timeout=30)
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    token = hidden(listing.text, "authenticity_token")
    image = {"image": ("blob.png", files["blob.png"].read_bytes(), "image/png")}
    forged = requests.post(f"{server.url}/admin/custom_emojis", headers={"Cookie": cookie}, timeout=30,
                           data={"shortcode": "forged"}, files=image, allow_redirects=False)
    assert forged.status_code == 403 and d1_rows(server, stored()) == []
    made = requests.post(f"{server.url}/admin/custom_emojis", headers={"Cookie": cookie}, timeout=30, allow_redirects=False,
                         data={"authenticity_token": token, "shortcode": "by_http"}, files=image)
    assert made.status_code == 303, made.text
    [row] = d1_rows(server, stored())
    emoji_id = d1_rows(server, "SELECT CAST(id AS TEXT) AS id FROM custom_emojis")[0]["id"]
    kept = requests.post(f"{server.url}/admin/custom_emojis/{emoji_id}", headers={"Cookie": cookie}, timeout=30,
                         data={"_method": "delete"}, allow_redirects=False)
    assert kept.status_code == 403 and len(d1_rows(server, stored())) == 1
    assert [e["shortcode"] for e in listed(server, spec)] == ["by_http"]
    # Over the platform's body limit for forms: refused before the body is read.
    too_big = requests.post(f"{server.url}/admin/custom_emojis", headers={"Cookie": cookie}, timeout=30, allow_redirects=False,
                            data={"authenticity_token": token, "shortcode": "too_big"},
                            files={"image": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "image/png")})
    assert too_big.status_code == 413 and len(d1_rows(server, stored())) == 1
    signed_out = requests.get(f"{server.url}/admin/custom_emojis", timeout=30, allow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].endswith("/auth/sign_in")
