"""The admin's domain-block page (`/admin/domain_blocks`, docs/web.md "Administration") in
headless Chromium: a block made on the page is the API's block and takes effect on a real peer
(the Fedify actor's Create is refused while its server is suspended, accepted once the block is
softened to a limit), a bad domain is refused with its reason and nothing made, a form without
its token changes nothing, and the block is lifted. The module has a server of its own."""
from __future__ import annotations

import pytest
import requests

from browser import page, screenshot  # noqa: F401 (the fixture)
from client import CheckedSession
from conftest import FEDERATION_VARS, _extra_server
from helpers import d1_rows, password_token, post_status, register_app, unique, wait_for
from hostile_peer import AS_CONTEXT, HostilePeer, RsaKey, signed_post
from test_sign_in import check_page, hidden, sign_in_in_browser, sign_in_over_http, tab_reaches

AS = "https://www.w3.org/ns/activitystreams"


@pytest.fixture(scope="module")
def server():
    yield from _extra_server("adminpages", FEDERATION_VARS, max_retries=2)


@pytest.fixture(scope="module")
def admin_api(server, spec):
    with CheckedSession(server.url, spec) as api:
        api.token = password_token(api, register_app(api, name="admin pages", scopes="read admin:read"), "read admin:read")
        yield api


def blocks(admin_api) -> list[dict]:
    resp = admin_api.get("/api/v1/admin/domain_blocks")
    assert resp.status_code == 200, resp.text
    return resp.json_body


def create_from(oracle, server) -> int:
    oid = f"{oracle.actor_url()}/notes/{unique('n')}"
    note = {"id": oid, "type": "Note", "attributedTo": oracle.actor_url(), "content": "<p>hello</p>",
            "to": [f"{AS}#Public"], "cc": [], "published": "2026-12-07T10:00:00Z"}
    activity = {"@context": AS, "id": f"{oid}/activity", "type": "Create", "actor": oracle.actor_url(),
                "to": note["to"], "cc": [], "object": note}
    return oracle.send(f"{server.url}/inbox", activity)["status"]


def test_blocks_are_made_changed_and_lifted_on_the_page(page, server, admin_api, fedify_oracle):
    sign_in_in_browser(page, server.url)
    page.goto(f"{server.url}/admin/domain_blocks")
    assert page.get_by_role("heading", name="Domain blocks").is_visible()
    check_page(page)
    tab_reaches(page, "#new-domain")

    page.get_by_label("Domain", exact=True).fill("not a domain")
    page.get_by_role("button", name="Block", exact=True).click()
    page.wait_for_load_state()
    assert "not a valid domain" in page.get_by_role("alert").inner_text()
    assert blocks(admin_api) == [], "a refused form makes nothing"

    page.get_by_label("Domain", exact=True).fill(fedify_oracle.host)
    page.locator("#new-severity").select_option("suspend")
    page.locator("#new-public").fill("spam waves")
    page.get_by_role("button", name="Block", exact=True).click()
    page.wait_for_load_state()
    check_page(page)
    screenshot(page, "admin-domain-blocks")
    [block] = blocks(admin_api)
    assert (block["domain"], block["severity"], block["public_comment"]) == (fedify_oracle.host, "suspend", "spam waves")
    assert create_from(fedify_oracle, server) == 403, "the suspended server is refused"

    card = page.locator(f"#block-{block['id']}")
    card.locator("select").select_option("silence")
    card.get_by_label("Reject media").check()
    card.get_by_role("button", name=f"Save the block of {fedify_oracle.host}").click()
    page.wait_for_load_state()
    [block] = blocks(admin_api)
    assert (block["severity"], block["reject_media"], block["public_comment"]) == ("silence", True, "spam waves")
    assert create_from(fedify_oracle, server) == 202, "a limited server is heard"

    page.locator(f"#block-{block['id']}").get_by_role("button", name=f"Lift the block of {fedify_oracle.host}").click()
    page.wait_for_load_state()
    assert blocks(admin_api) == []
    assert "No server is blocked." in page.content()


def test_the_forms_refuse_a_post_without_the_token(server, admin_api):
    cookie = sign_in_over_http(server.url)
    listing = requests.get(f"{server.url}/admin/domain_blocks", headers={"Cookie": cookie}, timeout=30)
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    token = hidden(listing.text, "authenticity_token")
    forged = requests.post(f"{server.url}/admin/domain_blocks", headers={"Cookie": cookie}, timeout=30,
                           data={"domain": "evil.example", "severity": "suspend"}, allow_redirects=False)
    assert forged.status_code == 403 and blocks(admin_api) == []
    elsewhere = requests.post(f"{server.url}/admin/domain_blocks", timeout=30, allow_redirects=False,
                              headers={"Cookie": cookie, "Origin": "https://evil.example"},
                              data={"authenticity_token": token, "domain": "evil.example", "severity": "suspend"})
    assert elsewhere.status_code == 403 and blocks(admin_api) == []
    made = requests.post(f"{server.url}/admin/domain_blocks", headers={"Cookie": cookie}, timeout=30, allow_redirects=False,
                         data={"authenticity_token": token, "domain": "evil.example", "severity": "noop"})
    assert made.status_code == 303 and [b["domain"] for b in blocks(admin_api)] == ["evil.example"]
    block_id = blocks(admin_api)[0]["id"]
    kept = requests.post(f"{server.url}/admin/domain_blocks/{block_id}", headers={"Cookie": cookie}, timeout=30,
                         data={"_method": "delete"}, allow_redirects=False)
    assert kept.status_code == 403 and len(blocks(admin_api)) == 1
    signed_out = requests.get(f"{server.url}/admin/domain_blocks", timeout=30, allow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].endswith("/auth/sign_in")


def announcements(server, spec) -> list[dict]:
    with CheckedSession(server.url, spec) as api:
        api.token = password_token(api, register_app(api, name="reader"), "read")
        resp = api.get("/api/v1/announcements")
    assert resp.status_code == 200, resp.text
    return resp.json_body


def test_announcements_are_written_scheduled_edited_and_deleted(page, server, spec):
    page.goto(f"{server.url}/admin/announcements")
    if "/auth/sign_in" in page.url:  # the browser is this module's: signed in by the test above
        sign_in_in_browser(page, server.url)
        page.goto(f"{server.url}/admin/announcements")
    check_page(page)
    tab_reaches(page, "#new-text")

    page.locator("#new-text").fill("Maintenance tonight, see #topi")
    page.locator("#new-starts").fill("2026-12-24T18:00")
    page.locator("#new-ends").fill("2026-12-24T20:00")
    page.get_by_role("button", name="Save announcement", exact=True).click()
    page.wait_for_load_state()
    check_page(page)
    [shown] = announcements(server, spec)
    assert "Maintenance tonight" in shown["content"] and "/tags/topi" in shown["content"]
    assert (shown["starts_at"][:16], shown["ends_at"][:16], shown["read"]) == ("2026-12-24T18:00", "2026-12-24T20:00", False)

    page.locator("#new-text").fill("A scheduled one")
    page.locator("#new-publish").select_option("later")
    page.locator("#new-publish-at").fill("2030-01-01T00:00")
    page.get_by_role("button", name="Save announcement", exact=True).click()
    page.wait_for_load_state()
    page.locator("#new-text").fill("A draft")
    page.locator("#new-publish").select_option("draft")
    page.get_by_role("button", name="Save announcement", exact=True).click()
    page.wait_for_load_state()
    screenshot(page, "admin-announcements")
    assert [a["id"] for a in announcements(server, spec)] == [shown["id"]], "scheduled and drafts are not shown yet"

    page.locator("#new-text").fill("Ends before it starts")
    page.locator("#new-starts").fill("2026-12-24T18:00")
    page.locator("#new-ends").fill("2026-12-24T17:00")
    page.get_by_role("button", name="Save announcement", exact=True).click()
    page.wait_for_load_state()
    assert "end must come after the start" in page.get_by_role("alert").inner_text()

    page.goto(f"{server.url}/admin/announcements")
    card = page.locator(f"#announcement-{shown['id']}")
    card.locator("textarea").fill("Maintenance moved to tomorrow")
    card.get_by_role("button", name=f"Save announcement {shown['id']}").click()
    page.wait_for_load_state()
    [edited] = announcements(server, spec)
    assert "moved to tomorrow" in edited["content"] and edited["published_at"] == shown["published_at"], "stays published as it was"
    assert edited["updated_at"] >= shown["updated_at"]

    page.locator(f"#announcement-{shown['id']}").get_by_role("button", name=f"Delete announcement {shown['id']}").click()
    page.wait_for_load_state()
    assert announcements(server, spec) == []
    assert page.locator("[id^=announcement-]").count() == 2, "the scheduled one and the draft remain"


def test_federation_health_shows_a_failing_peer_and_retries_it(page, server, spec):
    """A follower's server answers 503 until the queue gives up (two retries here): the page
    shows it held and why; once it is back, "Retry now" delivers the post."""
    with CheckedSession(server.url, spec) as owner:
        owner.token = password_token(owner, register_app(owner, name="poster"), "read write")
        key = RsaKey()
        with HostilePeer() as peer:
            fan = peer.person(unique("fan"), key)
            follow = {"@context": AS_CONTEXT, "id": f"{fan}#follow", "type": "Follow", "actor": fan, "object": f"{server.url}/users/alice"}
            assert signed_post(f"{server.url}/inbox", follow, f"{fan}#main-key", key).status_code == 202
            wait_for(lambda: peer.seen("POST"), message="the Accept reaches the follower")
            peer.inbox_status = 503
            status = post_status(owner, f"while you were down {unique('d')}")
            wait_for(lambda: d1_rows(server, "SELECT 1 FROM delivery_failures WHERE dead_lettered = 1"), timeout=60,
                     message="the queue gives up on the delivery")

            page.goto(f"{server.url}/admin/federation")
            if "/auth/sign_in" in page.url:
                sign_in_in_browser(page, server.url)
                page.goto(f"{server.url}/admin/federation")
            check_page(page)
            screenshot(page, "admin-federation")
            card = page.locator(".card", has_text=peer.host)
            assert "held since" in card.inner_text(), card.inner_text()
            assert "retries ran out" in page.locator("table").inner_text()

            peer.inbox_status = 202
            delivered_before = len(peer.seen("POST"))
            card.get_by_role("button", name=f"Retry {peer.host} now").click()
            page.wait_for_load_state()
            assert f"{peer.host}: 1 deliveries queued again" in page.get_by_role("status").inner_text()
            creates = lambda: [r for r in peer.seen("POST")[delivered_before:] if status["uri"].encode() in r.body]  # noqa: E731
            wait_for(creates, timeout=30, message="the held post is delivered")


def test_site_settings_and_rules_reach_about_and_the_instance_entities(page, server, spec):
    page.goto(f"{server.url}/admin/settings")
    if "/auth/sign_in" in page.url:
        sign_in_in_browser(page, server.url)
        page.goto(f"{server.url}/admin/settings")
    check_page(page)
    page.get_by_label("Contact e-mail").fill("not an address")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    assert "not an e-mail address" in page.get_by_role("alert").inner_text()

    page.get_by_label("Short description").fill("A small place by the lake")
    page.get_by_label("Extended description (on /about)").fill("Longer words about #lakes")
    page.get_by_label("Contact e-mail").fill("moderation@example.org")
    page.get_by_label("Privacy policy").fill("We keep nothing we do not need.")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    page.get_by_label("New rule").fill("Be kind")
    page.get_by_label("Hint (optional)").fill("to everyone")
    page.get_by_role("button", name="Add rule").click()
    page.wait_for_load_state()
    page.get_by_label("New rule").fill("No spam")
    page.get_by_role("button", name="Add rule").click()
    page.wait_for_load_state()
    check_page(page)
    screenshot(page, "admin-settings")

    with CheckedSession(server.url, spec) as anonymous:
        v1 = anonymous.get("/api/v1/instance").json_body
        v2 = anonymous.get("/api/v2/instance").json_body
        rules = anonymous.get("/api/v1/instance/rules").json_body
        extended = anonymous.get("/api/v1/instance/extended_description").json_body
        policy = anonymous.get("/api/v1/instance/privacy_policy").json_body
    assert (v1["short_description"], v1["email"]) == ("A small place by the lake", "moderation@example.org")
    assert (v2["description"], v2["contact"]["email"]) == ("A small place by the lake", "moderation@example.org")
    assert [(r["text"], r["hint"]) for r in rules] == [("Be kind", "to everyone"), ("No spam", "")] == [(r["text"], r["hint"]) for r in v2["rules"]]
    assert "Longer words about" in extended["content"] and "/tags/lakes" in extended["content"]
    assert "We keep nothing" in policy["content"]
    assert v2["configuration"]["urls"]["privacy_policy"] == f"{server.url}/privacy-policy"

    page.goto(f"{server.url}/about")
    about = page.content()
    assert "Longer words about" in about and "moderation@example.org" in about and "Be kind" in about
    page.get_by_role("link", name="privacy policy").click()
    page.wait_for_load_state()
    assert "We keep nothing we do not need." in page.content()
    no_console_errors = page.console_errors == []
    assert no_console_errors, page.console_errors

    page.goto(f"{server.url}/admin/settings")
    page.get_by_role("button", name="Delete rule 1").click()
    page.wait_for_load_state()
    with CheckedSession(server.url, spec) as anonymous:
        assert [r["text"] for r in anonymous.get("/api/v1/instance/rules").json_body] == ["No spam"]


def test_site_pictures_and_terms_reach_about_and_the_instance_entities(page, server, spec, tmp_path):
    from test_settings_pages import png
    page.goto(f"{server.url}/admin/settings")
    if "/auth/sign_in" in page.url:
        sign_in_in_browser(page, server.url)
        page.goto(f"{server.url}/admin/settings")
    with CheckedSession(server.url, spec) as anonymous:
        assert anonymous.get("/api/v1/instance/terms_of_service").status_code == 404, "no terms yet"
    page.get_by_label("Terms of service").fill("Be excellent to each other.")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    thumbnail, icon = tmp_path / "thumb.png", tmp_path / "icon.png"
    thumbnail.write_bytes(png(64, 20, (10, 120, 60)))
    icon.write_bytes(png(48, 48, (200, 200, 0)))
    page.get_by_label("Thumbnail, shown").set_input_files(str(thumbnail))
    page.get_by_label("Icon, for apps").set_input_files(str(icon))
    page.get_by_role("button", name="Save pictures").click()
    page.wait_for_load_state()
    check_page(page)
    screenshot(page, "admin-settings-pictures")

    with CheckedSession(server.url, spec) as anonymous:
        v1 = anonymous.get("/api/v1/instance").json_body
        v2 = anonymous.get("/api/v2/instance").json_body
        terms = anonymous.get("/api/v1/instance/terms_of_service")
        assert terms.status_code == 200
        dated = anonymous.get(f"/api/v1/instance/terms_of_service/{terms.json_body['effective_date']}")
        assert dated.status_code == 200 and anonymous.get("/api/v1/instance/terms_of_service/2001-01-01").status_code == 404
    assert "Be excellent" in terms.json_body["content"] and terms.json_body["effective"] is True
    assert v2["configuration"]["urls"]["terms_of_service"] == f"{server.url}/terms-of-service"
    assert "/media/" in v2["thumbnail"]["url"] and v1["thumbnail"] == v2["thumbnail"]["url"]
    assert requests.get(v2["thumbnail"]["url"], timeout=30).content == thumbnail.read_bytes()
    [shown_icon] = v2["icon"]
    assert shown_icon["size"] == "48x48" and requests.get(shown_icon["src"], timeout=30).content == icon.read_bytes()

    page.goto(f"{server.url}/about")
    assert page.locator("img.banner").get_attribute("src") == v2["thumbnail"]["url"]
    assert page.locator('meta[property="og:image"]').get_attribute("content") == v2["thumbnail"]["url"]
    page.get_by_role("link", name="terms of service").click()
    page.wait_for_load_state()
    assert "Be excellent to each other." in page.content() and "In effect since" in page.content()

    page.goto(f"{server.url}/admin/settings")
    page.get_by_label("Remove the thumbnail").check()
    page.get_by_role("button", name="Save pictures").click()
    page.wait_for_load_state()
    with CheckedSession(server.url, spec) as anonymous:
        after = anonymous.get("/api/v2/instance").json_body
    assert after["thumbnail"]["url"].endswith("/headers/original/missing.png") and after["icon"] == v2["icon"]
    assert requests.get(v2["thumbnail"]["url"], timeout=30).status_code == 404, "the old file is deleted"
