"""Instance domain blocks (Mastodon's admin API) and what each severity does to a real peer: the
Fedify oracle's server is silenced (its follow waits for approval, its posts leave the public
timeline), has its media and reports rejected, is suspended (its activities are refused before
any fetch, what it sent is removed, nothing is fetched from it) and unblocked. The module has a
server of its own, started with the public list shown (`SHOW_DOMAIN_BLOCKS=all`)."""
from __future__ import annotations

import pytest

from client import CheckedSession
from conftest import FEDERATION_VARS, _extra_server
from helpers import d1_rows, password_token, register_app, unique, wait_for

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
