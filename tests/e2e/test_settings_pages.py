"""The owner's settings pages (`/settings/profile`, `/settings/preferences`, `/settings/imports`;
docs/web.md "Settings") in headless Chromium: a change made on the page is what the API and the
public profile show and what a follower's server is sent (`Update`); a profile link to a page that
links back with rel="me" is verified by the queue; an avatar is uploaded, served and removed; a
file that is not an image is refused with its reason and changes nothing; a CSV file uploaded on
the import page is imported by the queue; a form without its token, or an upload without a
session, changes nothing. The module has a server of its own."""
from __future__ import annotations

import json
import struct
import zlib

import pytest
import requests

from browser import page, screenshot  # noqa: F401 (the fixture)
from client import CheckedSession
from conftest import FEDERATION_VARS, _extra_server
from helpers import password_token, register_app, unique, wait_for
from hostile_peer import AS_CONTEXT, HostilePeer, RsaKey, signed_post
from settings import USERNAME
from test_sign_in import check_page, hidden, sign_in_in_browser, sign_in_over_http, tab_reaches


@pytest.fixture(scope="module")
def server():
    yield from _extra_server("profilepages", FEDERATION_VARS, max_retries=2)


@pytest.fixture(scope="module")
def owner(server, spec):
    with CheckedSession(server.url, spec) as api:
        api.token = password_token(api, register_app(api, name="profile pages"), "read write")
        yield api


def credentials(owner) -> dict:
    resp = owner.get("/api/v1/accounts/verify_credentials")
    assert resp.status_code == 200, resp.text
    return resp.json_body


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def open_page(page, server, path: str) -> None:
    page.goto(f"{server.url}{path}")
    if "/auth/sign_in" in page.url:  # the browser is this module's: signed in once
        sign_in_in_browser(page, server.url)
        page.goto(f"{server.url}{path}")


def test_the_profile_page_changes_what_everyone_sees(page, server, owner, tmp_path):
    key = RsaKey()
    with HostilePeer() as peer:
        fan = peer.person(unique("fan"), key)
        follow = {"@context": AS_CONTEXT, "id": f"{fan}#follow", "type": "Follow", "actor": fan,
                  "object": f"{server.url}/users/{USERNAME}"}
        assert signed_post(f"{server.url}/inbox", follow, f"{fan}#main-key", key).status_code == 202
        wait_for(lambda: peer.seen("POST"), message="the Accept reaches the follower")
        profile_url = credentials(owner)["url"]
        home = peer.serve_text("/home.html", f'<html><body><a rel="me" href="{profile_url}">Mastodon</a></body></html>')
        elsewhere = peer.serve_text("/other.html", '<a rel="me" href="https://impostor.example/@alice">x</a>')

        open_page(page, server, "/settings/profile")
        assert page.get_by_role("heading", name="Edit profile").is_visible()
        check_page(page)
        tab_reaches(page, "#display_name")
        name = f"Alice {unique('n')[-6:]}"
        page.get_by_label("Display name").fill(name)
        page.get_by_label("Bio").fill("Writes about #rust")
        page.get_by_label("Label 1").fill("Home")
        page.get_by_label("Content 1").fill(home)
        page.get_by_label("Label 2").fill("Other")
        page.get_by_label("Content 2").fill(elsewhere)
        page.get_by_label("Approve followers by hand").check()
        avatar = tmp_path / "avatar.png"
        avatar.write_bytes(png(8, 8, (200, 40, 40)))
        page.get_by_label("Avatar (PNG").set_input_files(str(avatar))
        page.get_by_role("button", name="Save changes").click()
        page.wait_for_load_state()
        assert "Changes saved." in page.get_by_role("status").inner_text()
        check_page(page)

        account = credentials(owner)
        assert (account["display_name"], account["locked"], account["source"]["note"]) == (name, True, "Writes about #rust")
        assert [f["name"] for f in account["fields"]] == ["Home", "Other"]
        assert "/media/" in account["avatar"]
        served = requests.get(account["avatar"], timeout=30)
        assert served.status_code == 200 and served.content == avatar.read_bytes()

        def update_seen():
            for post in peer.seen("POST"):
                activity = json.loads(post.body or b"{}")
                if activity.get("type") == "Update" and activity["object"].get("name") == name:
                    return activity
            return None
        update = wait_for(update_seen, timeout=60, message="the follower's server is sent the Update")
        assert update["object"]["icon"]["url"] == account["avatar"]
        assert update["object"]["manuallyApprovesFollowers"] is True

        fields = wait_for(lambda: (f := credentials(owner)["fields"])[0]["verified_at"] and f, timeout=60,
                          message="the link back is found")
        assert fields[1]["verified_at"] is None, "a page linking elsewhere verifies nothing"
        assert peer.gets("/home.html") == 1

        page.goto(f"{server.url}/@{USERNAME}")
        assert name in page.locator("h1").inner_text()
        assert "✓ verified" in page.locator("dl.fields").inner_text()
        open_page(page, server, "/settings/profile")
        assert "✓ verified" in page.locator("label[for=field-0-value]").inner_text()
        screenshot(page, "settings-profile")


def test_a_picture_that_is_not_an_image_is_refused_and_one_is_removed(page, server, owner, tmp_path):
    before = credentials(owner)
    assert "/media/" in before["avatar"], "the test above uploaded one"
    open_page(page, server, "/settings/profile")
    fake = tmp_path / "avatar.png"
    fake.write_text("<html><script>alert(1)</script></html>")
    page.get_by_label("Display name").fill("Should not stick")
    page.get_by_label("Avatar (PNG").set_input_files(str(fake))
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    assert "not a valid image/png file" in page.get_by_role("alert").inner_text()
    after = credentials(owner)
    assert (after["display_name"], after["avatar"]) == (before["display_name"], before["avatar"]), "nothing changed"

    open_page(page, server, "/settings/profile")
    page.get_by_label("Remove the avatar").check()
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    removed = credentials(owner)
    assert removed["avatar"].endswith("/avatars/original/missing.png")
    assert requests.get(before["avatar"], timeout=30).status_code == 404, "the old file is deleted"


def test_the_preferences_page_sets_what_apps_read(page, server, owner):
    open_page(page, server, "/settings/preferences")
    check_page(page)
    tab_reaches(page, "#privacy")
    page.get_by_label("Default visibility").select_option("private")
    page.get_by_label("Mark media as sensitive by default").check()
    page.get_by_label("Default language").fill("fi")
    page.get_by_label("Media", exact=True).select_option("hide_all")
    page.get_by_label("Always expand posts marked with content warnings").check()
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    assert "Changes saved." in page.get_by_role("status").inner_text()
    screenshot(page, "settings-preferences")
    resp = owner.get("/api/v1/preferences")
    assert resp.status_code == 200
    assert resp.json_body == {
        "posting:default:visibility": "private", "posting:default:sensitive": True, "posting:default:language": "fi",
        "posting:default:quote_policy": "public", "reading:expand:media": "hide_all", "reading:expand:spoilers": True,
        "reading:autoplay:gifs": False,
    }
    assert credentials(owner)["source"]["privacy"] == "private"

    page.get_by_label("Default language").fill("finnish")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    assert "ISO 639" in page.get_by_role("alert").inner_text()
    assert owner.get("/api/v1/preferences").json_body["posting:default:language"] == "fi"


def test_the_forms_refuse_a_post_without_the_token_or_a_session(server, owner):
    cookie = sign_in_over_http(server.url)
    form = requests.get(f"{server.url}/settings/profile", headers={"Cookie": cookie}, timeout=30)
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    token = hidden(form.text, "authenticity_token")
    name = credentials(owner)["display_name"]
    preferences = owner.get("/api/v1/preferences").json_body
    for path in ["/settings/profile", "/settings/preferences"]:
        forged = requests.post(f"{server.url}{path}", headers={"Cookie": cookie}, timeout=30, allow_redirects=False,
                               data={"display_name": "forged", "default_privacy": "public"})
        assert forged.status_code == 403, path
        elsewhere = requests.post(f"{server.url}{path}", timeout=30, allow_redirects=False,
                                  headers={"Cookie": cookie, "Origin": "https://evil.example"},
                                  data={"authenticity_token": token, "display_name": "forged"})
        assert elsewhere.status_code == 403, path
    # An upload without a session is refused by its head, before its body is read.
    anonymous = requests.post(f"{server.url}/settings/profile", timeout=30, allow_redirects=False,
                              files={"avatar": ("a.png", png(4, 4, (0, 0, 0)), "image/png")},
                              data={"authenticity_token": token, "display_name": "forged"})
    assert anonymous.status_code == 422 and "error" in anonymous.json()
    assert credentials(owner)["display_name"] == name, "nothing changed"
    assert owner.get("/api/v1/preferences").json_body == preferences


def test_the_api_removes_the_header_and_federates_profile_changes(server, owner):
    resp = owner.patch("/api/v1/accounts/update_credentials", files={"header": ("h.png", png(30, 10, (10, 90, 200)), "image/png")})
    assert resp.status_code == 200, resp.text
    assert "/media/" in resp.json_body["header"]
    removed = owner.delete("/api/v1/profile/header")
    assert removed.status_code == 200, removed.text
    assert removed.json_body["header"].endswith("/headers/original/missing.png")
    assert owner.delete("/api/v1/profile/banner").status_code == 404


def test_the_import_page_imports_a_file_and_shows_its_failures(page, server, owner, tmp_path):
    open_page(page, server, "/settings/imports")
    check_page(page)
    tab_reaches(page, "#import-type")
    blocklist = tmp_path / "blocked_domains.csv"
    blocklist.write_text("spam.example\nnot a domain!\nads.example\n")
    page.get_by_label("What the file holds").select_option("domain_blocking")
    page.get_by_label("File (at most").set_input_files(str(blocklist))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    check_page(page)

    def blocked():
        resp = owner.get("/api/v1/domain_blocks")
        assert resp.status_code == 200
        return sorted(resp.json_body) == ["ads.example", "spam.example"]
    wait_for(blocked, timeout=60, message="the queue imports the file")
    row = page.locator("tbody tr").first

    def finished_row():
        page.reload()
        return "finished" in row.inner_text()
    wait_for(finished_row, timeout=30, message="the page shows it finished")
    assert "blocked_domains.csv" in row.inner_text() and "3 of 3, 1 failed" in row.inner_text(), row.inner_text()
    screenshot(page, "settings-imports")
    failures = page.request.get(server.url + row.get_by_role("link", name="failures.csv").get_attribute("href"))
    assert failures.status == 200 and "not a domain!" in failures.text(), "the failures file opens with the session"

    page.get_by_role("button", name="Upload").click()  # no file chosen: the browser asks for one
    assert page.url.endswith("/settings/imports")


def test_the_owner_follows_from_the_remote_interaction_page(page, server, owner):
    key = RsaKey()
    with HostilePeer() as peer:
        dana = peer.person(unique("dana"), key, name="Dana from afar")
        open_page(page, server, "/settings")
        page.goto(f"{server.url}/authorize_interaction?uri={dana}")
        check_page(page)
        assert "Dana from afar" in page.locator("main").inner_text()
        page.get_by_role("button", name="Follow @").click()
        page.wait_for_load_state()
        assert "You asked to follow" in page.get_by_role("status").inner_text()
        screenshot(page, "authorize-interaction")

        def follow_seen():
            return [p for p in peer.seen("POST") if json.loads(p.body or b"{}").get("type") == "Follow"]
        [follow] = wait_for(follow_seen, timeout=60, message="the Follow reaches the peer")
        assert json.loads(follow.body)["object"] == dana
