"""Instance domain blocks (Mastodon's admin API) and what each severity does to a real peer: the
Fedify oracle's server is silenced (its follow waits for approval, its posts leave the public
timeline), has its media and reports rejected, is suspended (its activities are refused before
any fetch, what it sent is removed, nothing is fetched from it) and unblocked. Then blocklists
(Mastodon's CSV export imports back as it was; a bad or oversized file imports nothing) and the
allow-list mode set on the page in Chromium (the Fedify oracle listed is heard, the hostile peer
not listed is refused before any fetch). The module has a server of its own, started with the
public list shown (`SHOW_DOMAIN_BLOCKS=all`)."""
from __future__ import annotations

import pytest
import requests

from browser import page, screenshot  # noqa: F401 (the fixture)
from client import CheckedSession
from conftest import FEDERATION_VARS, _extra_server
from helpers import d1_rows, password_token, register_app, unique, wait_for
from hostile_peer import HostilePeer, RsaKey, signed_post
from test_sign_in import check_page, hidden, sign_in_in_browser, sign_in_over_http

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"


@pytest.fixture(scope="module")
def server():
    yield from _extra_server("domainblocks", {**FEDERATION_VARS, "SHOW_DOMAIN_BLOCKS": "all"}, max_retries=2)


@pytest.fixture(scope="module")
def admin(server, spec):
    with CheckedSession(server.url, spec) as api:
        api.token = password_token(api, register_app(api, name="moderation", scopes="read write follow admin:read admin:write"),
                                   "read write follow admin:read admin:write")
        yield api


@pytest.fixture(scope="module")
def owner_uri(server) -> str:
    return f"{server.url}/users/alice"


def ok(resp, status: int = 200):
    assert resp.status_code == status, f"{resp.status_code} {resp.text}"
    return resp.json_body


def note(oracle, owner_uri: str, text: str, **extra) -> dict:
    oid = f"{oracle.actor_url()}/notes/{unique('n')}"
    obj = {"id": oid, "type": "Note", "attributedTo": oracle.actor_url(), "content": f"<p>{text}</p>",
           "to": [PUBLIC], "cc": [owner_uri], "published": "2026-12-07T10:00:00Z",
           "tag": [{"type": "Mention", "href": owner_uri}], **extra}
    return {"@context": AS, "id": f"{oid}/activity", "type": "Create", "actor": oracle.actor_url(),
            "to": obj["to"], "cc": obj["cc"], "object": obj}


def stored(server, uri: str) -> list[dict]:
    return d1_rows(server, "SELECT CAST(id AS TEXT) AS id, deleted_at FROM statuses WHERE uri = ?", (uri,))


def test_the_admin_api_refuses_what_is_not_a_block(admin, server, spec):
    assert ok(admin.get("/api/v1/admin/domain_blocks")) == []
    for domain, why in (("not a domain", "valid"), ("", "blank"), (server.url.split("//")[1], "own domain")):
        refused = admin.post("/api/v1/admin/domain_blocks", data={"domain": domain})
        assert refused.status_code == 422 and why in refused.json_body["error"], refused.text
    refused = admin.post("/api/v1/admin/domain_blocks", data={"domain": "evil.example", "severity": "obliterate"})
    assert refused.status_code == 422
    with CheckedSession(server.url, spec) as plain:
        plain.token = password_token(plain, register_app(plain, name="no admin"), "read write")
        assert plain.get("/api/v1/admin/domain_blocks").status_code == 403, "admin scopes are needed"
        assert plain.post("/api/v1/admin/domain_blocks", data={"domain": "evil.example"}).status_code == 403
    assert ok(admin.get("/api/v1/admin/domain_blocks")) == [], "nothing was created"


def test_a_silenced_server_asks_to_follow_and_leaves_the_public_timeline(admin, server, owner_uri, fedify_oracle):
    block = ok(admin.post("/api/v1/admin/domain_blocks", data={
        "domain": fedify_oracle.host, "severity": "silence", "public_comment": "spam waves", "private_comment": "see #12"}))
    assert (block["domain"], block["severity"], block["reject_media"], block["obfuscate"]) == (fedify_oracle.host, "silence", False, False)
    assert len(block["digest"]) == 64
    assert ok(admin.get(f"/api/v1/admin/domain_blocks/{block['id']}"))["private_comment"] == "see #12"

    follow = {"@context": AS, "id": f"{fedify_oracle.actor_url()}#follows/{unique('f')}", "type": "Follow",
              "actor": fedify_oracle.actor_url(), "object": owner_uri}
    assert fedify_oracle.send(f"{server.url}/users/alice/inbox", follow)["status"] == 202
    requests_ = wait_for(lambda: ok(admin.get("/api/v1/follow_requests")), message="the follow waits for approval")
    assert [a["acct"].split("@")[0] for a in requests_] == ["oracle"], requests_
    assert ok(admin.get(f"/api/v1/accounts/{ok(admin.get('/api/v1/accounts/verify_credentials'))['id']}"))["locked"] is False

    create = note(fedify_oracle, owner_uri, "silenced words")
    assert fedify_oracle.send(f"{server.url}/users/alice/inbox", create)["status"] == 202
    wait_for(lambda: stored(server, create["object"]["id"]), message="the post is stored")
    remote = ok(admin.get("/api/v1/timelines/public", params={"remote": "true"}))
    assert all(s["uri"] != create["object"]["id"] for s in remote), "a silenced server's post is not public here"

    ok(admin.put(f"/api/v1/admin/domain_blocks/{block['id']}", data={"severity": "noop"}))
    remote = ok(admin.get("/api/v1/timelines/public", params={"remote": "true"}))
    assert any(s["uri"] == create["object"]["id"] for s in remote), "unsilenced, it shows again"
    ok(admin.post(f"/api/v1/follow_requests/{requests_[0]['id']}/authorize"))


def test_rejected_media_and_reports(admin, server, owner_uri, fedify_oracle):
    block = ok(admin.get("/api/v1/admin/domain_blocks"))[0]
    ok(admin.put(f"/api/v1/admin/domain_blocks/{block['id']}", data={"reject_media": "true", "reject_reports": "true"}))
    picture = {"type": "Document", "mediaType": "image/png", "url": f"{fedify_oracle.url}/picture.png", "name": "a picture"}
    create = note(fedify_oracle, owner_uri, "with a picture", attachment=[picture])
    assert fedify_oracle.send(f"{server.url}/users/alice/inbox", create)["status"] == 202
    row = wait_for(lambda: stored(server, create["object"]["id"]), message="the post is stored")[0]
    status = ok(admin.get(f"/api/v1/statuses/{row['id']}"))
    assert status["media_attachments"] == [] and "with a picture" in status["content"]

    reports_before = len(d1_rows(server, "SELECT id FROM reports"))
    flag = {"@context": AS, "id": f"{fedify_oracle.actor_url()}#flags/{unique('r')}", "type": "Flag",
            "actor": fedify_oracle.actor_url(), "object": [owner_uri], "content": "made up"}
    assert fedify_oracle.send(f"{server.url}/users/alice/inbox", flag)["status"] == 202
    assert len(d1_rows(server, "SELECT id FROM reports")) == reports_before, "reports from there are dropped"


def test_the_public_list_shows_what_the_owner_chose(admin, server, spec, fedify_oracle):
    ok(admin.post("/api/v1/admin/domain_blocks", data={"domain": "hidden-evil.example", "severity": "suspend", "obfuscate": "true",
                                                      "public_comment": "harassment"}))
    with CheckedSession(server.url, spec) as anonymous:
        listed = ok(anonymous.get("/api/v1/instance/domain_blocks"))
    by_digest = {entry["digest"]: entry for entry in listed}
    assert len(listed) == 1, "a noop block is not a moderation decision to publish"
    entry = next(iter(by_digest.values()))
    assert entry["domain"] != "hidden-evil.example" and "*" in entry["domain"] and entry["severity"] == "suspend"
    assert entry["comment"] == "harassment"


def test_a_suspended_server_is_cut_off_and_can_come_back(admin, server, owner_uri, fedify_oracle):
    block = next(b for b in ok(admin.get("/api/v1/admin/domain_blocks")) if b["domain"] == fedify_oracle.host)
    me = ok(admin.get("/api/v1/accounts/verify_credentials"))
    followers = ok(admin.get(f"/api/v1/accounts/{me['id']}/followers"))
    assert any(a["acct"].startswith("oracle@") for a in followers), "the oracle follows the owner (authorized above)"
    earlier = note(fedify_oracle, owner_uri, "before the suspension")
    assert fedify_oracle.send(f"{server.url}/users/alice/inbox", earlier)["status"] == 202
    wait_for(lambda: stored(server, earlier["object"]["id"]), message="stored")

    ok(admin.put(f"/api/v1/admin/domain_blocks/{block['id']}", data={"severity": "suspend"}))
    gets_before = len(fedify_oracle.signed_gets())
    refused = fedify_oracle.send(f"{server.url}/users/alice/inbox", note(fedify_oracle, owner_uri, "after"))
    assert refused["status"] == 403, refused
    assert len(fedify_oracle.signed_gets()) == gets_before, "nothing was fetched to check the refused request"
    assert stored(server, earlier["object"]["id"])[0]["deleted_at"] is not None, "what it sent is removed"
    followers = ok(admin.get(f"/api/v1/accounts/{me['id']}/followers"))
    assert not any(a["acct"].startswith("oracle@") for a in followers), "follows with it are severed"
    found = ok(admin.get("/api/v2/search", params={"q": fedify_oracle.actor_url(), "resolve": "true"}))
    assert found["accounts"] == [], "nothing is fetched from it"
    assert len(fedify_oracle.signed_gets()) == gets_before

    ok(admin.delete(f"/api/v1/admin/domain_blocks/{block['id']}"))
    again = note(fedify_oracle, owner_uri, "welcome back")
    assert fedify_oracle.send(f"{server.url}/users/alice/inbox", again)["status"] == 202
    wait_for(lambda: stored(server, again["object"]["id"]), message="accepted again once unblocked")


# -- blocklists and the allow-list mode (the admin's page, /admin/domain_blocks) --------------------

def blocks_as_rows(admin) -> list[tuple]:
    return sorted((b["domain"], b["severity"], b["reject_media"], b["reject_reports"], b["public_comment"] or "", b["obfuscate"])
                  for b in ok(admin.get("/api/v1/admin/domain_blocks")))


def import_file(server, cookie: str, token: str | None, content: bytes) -> requests.Response:
    data = {"authenticity_token": token} if token else {}
    return requests.post(f"{server.url}/admin/export_domain_blocks/import", headers={"Cookie": cookie}, data=data,
                         files={"data": ("blocklist.csv", content, "text/csv")}, timeout=30, allow_redirects=False)


def test_a_blocklist_export_imports_back_and_a_bad_file_imports_nothing(admin, server):
    ok(admin.post("/api/v1/admin/domain_blocks", data={"domain": "loud.example:8443", "severity": "silence", "reject_media": "true",
                                                      "public_comment": "shouting, \"a lot\""}))
    before = blocks_as_rows(admin)
    assert len(before) == 2, before
    cookie = sign_in_over_http(server.url)
    exported = requests.get(f"{server.url}/admin/export_domain_blocks/export.csv", headers={"Cookie": cookie}, timeout=30)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv"), exported.text
    assert exported.text.splitlines()[0] == "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
    assert requests.get(f"{server.url}/admin/export_domain_blocks/export.csv", timeout=30,
                        allow_redirects=False).status_code == 303, "signed in only"

    for block in ok(admin.get("/api/v1/admin/domain_blocks")):
        ok(admin.delete(f"/api/v1/admin/domain_blocks/{block['id']}"))
    page = requests.get(f"{server.url}/admin/domain_blocks", headers={"Cookie": cookie}, timeout=30)
    token = hidden(page.text, "authenticity_token")
    assert import_file(server, cookie, None, exported.content).status_code == 403, "no token, no import"
    assert blocks_as_rows(admin) == []
    done = import_file(server, cookie, token, exported.content)
    assert done.status_code == 303 and done.headers["location"].endswith("imported=2&kept=0"), done.text
    assert blocks_as_rows(admin) == before, "the export imports back as it was"

    bad = import_file(server, cookie, token, b"fine.example\nnot a domain\n" + b"x.example\n")
    assert bad.status_code == 422 and "line 2: not a domain" in bad.text, bad.text
    too_big = import_file(server, cookie, token, b"a.example\n" * 7000)
    assert too_big.status_code == 422 and "64 KiB" in too_big.text
    assert blocks_as_rows(admin) == before, "a bad file changes nothing"
    bare = import_file(server, cookie, token, b"spam-one.example\nhttps://Spam-Two.example/\nloud.example:8443\n")
    assert bare.status_code == 303 and bare.headers["location"].endswith("imported=2&kept=1"), bare.headers
    after = {b[0]: b[1] for b in blocks_as_rows(admin)}
    assert (after["spam-one.example"], after["spam-two.example"], after["loud.example:8443"]) == ("suspend", "suspend", "silence")


def test_in_allow_list_mode_only_listed_peers_are_heard(page, admin, server, spec, owner_uri, fedify_oracle):
    sign_in_in_browser(page, server.url)
    page.goto(f"{server.url}/admin/domain_blocks")
    check_page(page)
    page.get_by_label("Allowed domain").fill(fedify_oracle.host)
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_load_state()
    page.get_by_label("Federate only with allowed servers").check()
    page.get_by_role("button", name="Save the mode").click()
    page.wait_for_load_state()
    check_page(page)
    screenshot(page, "admin-domain-allows")
    assert page.get_by_label("Federate only with allowed servers").is_checked()
    [allowed] = ok(admin.get("/api/v1/admin/domain_allows"))
    spec.validate_component("AdminDomainAllow", allowed)
    assert allowed["domain"] == fedify_oracle.host

    heard = note(fedify_oracle, owner_uri, "from an allowed server")
    assert fedify_oracle.send(f"{server.url}/users/alice/inbox", heard)["status"] == 202
    wait_for(lambda: stored(server, heard["object"]["id"]), message="an allowed server is heard")
    with HostilePeer() as stranger:
        key = RsaKey()
        actor = stranger.person(unique("stranger"), key)
        create = {"@context": AS, "id": f"{actor}/notes/1/activity", "type": "Create", "actor": actor,
                  "object": {"id": f"{actor}/notes/1", "type": "Note", "attributedTo": actor, "content": "hi",
                             "to": [PUBLIC], "cc": [owner_uri], "tag": [{"type": "Mention", "href": owner_uri}]}}
        refused = signed_post(f"{server.url}/users/alice/inbox", create, f"{actor}#main-key", key)
        assert refused.status_code == 403, refused.text
        assert stranger.gets(f"/users/{actor.rsplit('/', 1)[1]}") == 0, "a server not listed is refused before its key is fetched"
        found = ok(admin.get("/api/v2/search", params={"q": actor, "resolve": "true"}))
        assert found["accounts"] == [] and stranger.seen("GET") == [], "and nothing is fetched from it"

    page.locator(f"#allow-{allowed['id']}").get_by_role("button", name=f"Stop allowing {fedify_oracle.host}").click()
    page.wait_for_load_state()
    assert ok(admin.get("/api/v1/admin/domain_allows")) == []
    assert fedify_oracle.send(f"{server.url}/users/alice/inbox", note(fedify_oracle, owner_uri, "now refused"))["status"] == 403
    page.get_by_label("Federate only with allowed servers").uncheck()
    page.get_by_role("button", name="Save the mode").click()
    page.wait_for_load_state()
    later = note(fedify_oracle, owner_uri, "the mode is off")
    assert fedify_oracle.send(f"{server.url}/users/alice/inbox", later)["status"] == 202, "off again, everyone federates"
    again = ok(admin.post("/api/v1/admin/domain_allows", data={"domain": "friends.example"}))
    spec.validate_component("AdminDomainAllow", again)
    assert ok(admin.post("/api/v1/admin/domain_allows", data={"domain": "friends.example"}))["id"] == again["id"]
    assert admin.post("/api/v1/admin/domain_allows", data={"domain": "not a domain"}).status_code == 422
    ok(admin.delete(f"/api/v1/admin/domain_allows/{again['id']}"))
