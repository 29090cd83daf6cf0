"""The admin's report queue (`/admin/reports`, docs/web.md "Administration") in headless
Chromium, fed by signed `Flag`s from the hostile peer: a report appears with its post (the
content warning collapsed, the comment escaped), is resolved and reopened; suspending its sender
makes the inbox refuse that actor's next activity before fetching anything; blocking the sender's
domain makes the inbox refuse the whole peer; limiting an account the owner reported makes its
follow wait for approval; a form without its token changes nothing; the admin API lists and
resolves reports. The module has a server of its own."""
from __future__ import annotations

import pytest
import requests

from browser import page, screenshot  # noqa: F401 (the fixture)
from client import CheckedSession
from conftest import FEDERATION_VARS, _extra_server
from helpers import d1_rows, password_token, post_status, register_app, unique, wait_for
from hostile_peer import AS_CONTEXT, HostilePeer, RsaKey, signed_post
from test_sign_in import check_page, hidden, sign_in_in_browser, sign_in_over_http, tab_reaches


@pytest.fixture(scope="module")
def server():
    yield from _extra_server("reports", FEDERATION_VARS, max_retries=2)


@pytest.fixture(scope="module")
def owner(server, spec):
    with CheckedSession(server.url, spec) as api:
        scopes = "read write follow admin:read admin:write"
        api.token = password_token(api, register_app(api, name="reports", scopes=scopes), scopes)
        yield api


@pytest.fixture(scope="module")
def peer():
    with HostilePeer() as p:
        yield p


def owner_uri(server) -> str:
    return f"{server.url}/users/alice"


def flag(server, peer: HostilePeer, key: RsaKey, actor: str, objects: list[str], comment: str) -> requests.Response:
    activity = {"@context": AS_CONTEXT, "id": f"{actor}#flags/{unique('r')}", "type": "Flag", "actor": actor,
                "object": objects, "content": comment}
    return signed_post(f"{server.url}/users/alice/inbox", activity, f"{actor}#main-key", key)


def note_from(server, actor: str, key: RsaKey, text: str) -> requests.Response:
    oid = f"{actor}/notes/{unique('n')}"
    # It mentions the owner, so that it is stored whether or not the owner follows the author.
    note = {"id": oid, "type": "Note", "attributedTo": actor, "content": f"<p>{text}</p>",
            "to": [f"{AS_CONTEXT}#Public"], "cc": [owner_uri(server)], "published": "2026-12-07T10:00:00Z",
            "tag": [{"type": "Mention", "href": owner_uri(server)}]}
    activity = {"@context": AS_CONTEXT, "id": f"{oid}/activity", "type": "Create", "actor": actor,
                "to": note["to"], "cc": note["cc"], "object": note}
    return signed_post(f"{server.url}/users/alice/inbox", activity, f"{actor}#main-key", key)


def report_ids(server, where: str = "1 = 1") -> list[str]:
    return [r["id"] for r in d1_rows(server, f"SELECT CAST(id AS TEXT) AS id FROM reports WHERE {where} ORDER BY id")]


def open_reports_page(page, server) -> None:
    page.goto(f"{server.url}/admin/reports")
    if "/auth/sign_in" in page.url:  # the browser is this module's: signed in once
        sign_in_in_browser(page, server.url)
        page.goto(f"{server.url}/admin/reports")
    page.wait_for_load_state()


def test_a_flag_is_queued_with_its_post_resolved_and_reopened(page, server, owner, peer):
    post = post_status(owner, f"the reported post {unique('p')}", spoiler_text="a warning")
    key = RsaKey()
    reporter = peer.person(unique("mod"), key)
    before = report_ids(server)
    sent = flag(server, peer, key, reporter, [owner_uri(server), post["uri"]], "<script>alert(1)</script>spam, really")
    assert sent.status_code == 202, sent.text
    [report_id] = wait_for(lambda: [i for i in report_ids(server) if i not in before], message="the report is stored")

    open_reports_page(page, server)
    assert page.get_by_role("heading", name="Reports", exact=True).is_visible()
    check_page(page)
    card = page.locator(f"#report-{report_id}")
    text = card.inner_text()
    assert f"@{reporter.rsplit('/', 1)[1]}@{peer.host}" in text and "@alice" in text, text
    assert "<script>alert(1)</script>spam, really" in text, "the comment is shown as text"
    warning = card.locator("details.cw")
    assert warning.count() == 1 and warning.get_attribute("open") is None, "the content warning starts collapsed"
    assert "a warning" in warning.locator("summary").inner_text()
    assert not card.get_by_text("the reported post").is_visible()
    warning.locator("summary").click()
    assert card.get_by_text("the reported post").is_visible()
    tab_reaches(page, f"#report-{report_id} button")
    screenshot(page, "admin-reports")

    card.get_by_role("button", name=f"Resolve report {report_id}", exact=True).click()
    page.wait_for_load_state()
    check_page(page)
    assert page.locator(f"#report-{report_id}").count() == 0, "resolved reports leave the open queue"
    assert report_ids(server, "action_taken_at IS NOT NULL") == [report_id]
    page.get_by_role("link", name="Resolved").click()
    page.wait_for_load_state()
    assert "resolved without action" in page.locator(f"#report-{report_id}").inner_text()
    page.locator(f"#report-{report_id}").get_by_role("button", name=f"Reopen report {report_id}", exact=True).click()
    page.wait_for_load_state()
    assert report_ids(server, "action_taken_at IS NULL") == [report_id]

    page.goto(f"{server.url}/admin/reports/{report_id}")
    check_page(page)
    assert page.get_by_role("heading", name=f"Report {report_id}", level=1).is_visible()
    screenshot(page, "admin-report")


def test_suspending_the_sender_refuses_its_next_activity_before_any_fetch(page, server, peer):
    key = RsaKey()
    name = unique("troll")
    troll = peer.person(name, key)
    before = report_ids(server)
    assert flag(server, peer, key, troll, [owner_uri(server)], "you are wrong").status_code == 202
    [report_id] = wait_for(lambda: [i for i in report_ids(server) if i not in before], message="stored")
    assert note_from(server, troll, key, "first words").status_code == 202

    open_reports_page(page, server)
    card = page.locator(f"#report-{report_id}")
    card.get_by_role("button", name=f"Suspend @{name}@{peer.host} (the reporter) and resolve report {report_id}", exact=True).click()
    page.wait_for_load_state()
    check_page(page)
    [account] = d1_rows(server, "SELECT suspended_at, suspension_origin FROM accounts WHERE uri = ?", (troll,))
    assert account["suspended_at"] is not None and account["suspension_origin"] == "local"
    assert d1_rows(server, "SELECT count(*) AS n FROM statuses WHERE account_id = (SELECT id FROM accounts WHERE uri = ?) "
                           "AND deleted_at IS NULL", (troll,))[0]["n"] == 0, "what it sent is removed"
    fetched = peer.gets(f"/users/{name}")
    refused = note_from(server, troll, key, "still here")
    assert refused.status_code == 403, refused.text
    assert peer.gets(f"/users/{name}") == fetched, "refused before its key was fetched"
    assert report_ids(server, "action_taken = 'suspend'") == [report_id]


def test_blocking_the_senders_domain_refuses_the_peer(page, server, owner):
    with HostilePeer() as other:
        key = RsaKey()
        name = unique("spammer")
        spammer = other.person(name, key)
        neighbour = other.person(unique("neighbour"), key)
        before = report_ids(server)
        assert flag(server, other, key, spammer, [owner_uri(server)], "spam").status_code == 202
        [report_id] = wait_for(lambda: [i for i in report_ids(server) if i not in before], message="stored")

        open_reports_page(page, server)
        page.locator(f"#report-{report_id}").get_by_role(
            "button", name=f"Suspend the server {other.host} and resolve report {report_id}", exact=True).click()
        page.wait_for_load_state()
        blocks = owner.get("/api/v1/admin/domain_blocks").json_body
        assert [(b["domain"], b["severity"]) for b in blocks] == [(other.host, "suspend")], blocks
        assert note_from(server, neighbour, key, "hello from next door").status_code == 403, "the whole peer is refused"
        owner.delete(f"/api/v1/admin/domain_blocks/{blocks[0]['id']}")


def test_limiting_an_account_the_owner_reported(page, server, owner, peer):
    key = RsaKey()
    name = unique("loud")
    loud = peer.person(name, key)
    found = owner.get("/api/v2/search", params={"q": loud, "resolve": "true"}).json_body["accounts"]
    assert len(found) == 1, found
    filed = owner.post("/api/v1/reports", data={"account_id": found[0]["id"], "comment": "too loud", "category": "spam"})
    assert filed.status_code == 200, filed.text
    report_id = filed.json_body["id"]

    open_reports_page(page, server)
    page.locator(f"#report-{report_id}").get_by_role(
        "button", name=f"Limit @{name}@{peer.host} (the reported account) and resolve report {report_id}", exact=True).click()
    page.wait_for_load_state()
    assert d1_rows(server, "SELECT silenced_at FROM accounts WHERE uri = ?", (loud,))[0]["silenced_at"] is not None
    follow = {"@context": AS_CONTEXT, "id": f"{loud}#follows/{unique('f')}", "type": "Follow", "actor": loud,
              "object": owner_uri(server)}
    assert signed_post(f"{server.url}/users/alice/inbox", follow, f"{loud}#main-key", key).status_code == 202
    waiting = wait_for(lambda: owner.get("/api/v1/follow_requests").json_body, message="the follow waits for approval")
    assert [a["acct"] for a in waiting] == [f"{name}@{peer.host}"]
    assert note_from(server, loud, key, "limited words").status_code == 202, "a limited account is still heard"
    wait_for(lambda: d1_rows(server, "SELECT 1 FROM statuses WHERE content LIKE '%limited words%'"), message="stored")
    public = owner.get("/api/v1/timelines/public", params={"remote": "true"}).json_body
    assert not any("limited words" in s["content"] for s in public), "a limited account stays off the public timeline"


def test_the_forms_refuse_a_post_without_the_token(server):
    [report_id] = report_ids(server, "action_taken_at IS NULL")[:1]
    cookie = sign_in_over_http(server.url)
    listing = requests.get(f"{server.url}/admin/reports", headers={"Cookie": cookie}, timeout=30)
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    token = hidden(listing.text, "authenticity_token")
    for action in ("resolve", "suspend", "block_domain", "limit"):
        forged = requests.post(f"{server.url}/admin/reports/{report_id}/{action}", headers={"Cookie": cookie}, timeout=30,
                               data={"back": "queue"}, allow_redirects=False)
        assert forged.status_code == 403, action
    elsewhere = requests.post(f"{server.url}/admin/reports/{report_id}/resolve", timeout=30, allow_redirects=False,
                              headers={"Cookie": cookie, "Origin": "https://evil.example"}, data={"authenticity_token": token})
    assert elsewhere.status_code == 403
    assert report_id in report_ids(server, "action_taken_at IS NULL"), "nothing changed"
    signed_out = requests.get(f"{server.url}/admin/reports", timeout=30, allow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].endswith("/auth/sign_in")


def test_the_admin_api_lists_shows_resolves_and_reopens(server, owner, spec):
    listed = owner.get("/api/v1/admin/reports")
    assert listed.status_code == 200, listed.text
    assert listed.json_body, "the open reports of the tests above"
    for report in listed.json_body:
        spec.validate_component("AdminReport", report)
        assert report["action_taken"] is False
    flagged = next(r for r in listed.json_body if r["target_account"]["account"]["acct"] == "alice")
    assert flagged["target_account"]["role"]["name"] == "Owner" and flagged["account"]["domain"], flagged
    resolved = owner.post(f"/api/v1/admin/reports/{flagged['id']}/resolve")
    assert resolved.status_code == 200 and resolved.json_body["action_taken"] is True, resolved.text
    spec.validate_component("AdminReport", resolved.json_body)
    assert flagged["id"] in [r["id"] for r in owner.get("/api/v1/admin/reports", params={"resolved": "true"}).json_body]
    assert flagged["id"] not in [r["id"] for r in owner.get("/api/v1/admin/reports").json_body]
    shown = owner.get(f"/api/v1/admin/reports/{flagged['id']}")
    assert shown.status_code == 200 and shown.json_body["action_taken_at"], shown.text
    reopened = owner.post(f"/api/v1/admin/reports/{flagged['id']}/reopen").json_body
    assert (reopened["action_taken"], reopened["action_taken_at"]) == (False, None)
    with CheckedSession(server.url, spec) as plain:
        plain.token = password_token(plain, register_app(plain, name="no admin"), "read write")
        assert plain.get("/api/v1/admin/reports").status_code == 403, "admin scopes are needed"
        assert plain.post(f"/api/v1/admin/reports/{flagged['id']}/resolve").status_code == 403
    assert owner.get("/api/v1/admin/reports/1").status_code == 404
