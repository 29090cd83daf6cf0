"""Topi against @fedify/fedify (Node 22) as a crypto and protocol oracle.

Fedify signs (draft-cavage and RFC 9421) and Topi verifies; Topi signs its deliveries and
fetches and Fedify verifies them; FEP-8b32 proofs are checked both ways. Then the faults: forged
and tampered requests, a peer that is down for a while, a peer that stays down, and a
private-address fetch without the development flag.
"""
from __future__ import annotations

import time

import pytest
import requests

from client import describe
from helpers import d1_rows, wait_for
from peers import DRAFT, RFC9421, activity_type

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def actor(server) -> str:
    return f"{server.url}/users/alice"


def follow(oracle, server, suffix: str) -> dict:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{oracle.actor_url()}#follows/{suffix}",
            "type": "Follow", "actor": oracle.actor_url(), "object": actor(server)}


def resolve(fed_owner, query: str) -> dict:
    resp = fed_owner.get("/api/v2/search", params={"q": query, "resolve": "true"})
    assert resp.status_code == 200, describe(resp)
    return resp.json_body


def oracle_account(fed_owner, oracle) -> dict:
    found = resolve(fed_owner, f"@{oracle.handle()}")["accounts"]
    assert found, f"@{oracle.handle()} did not resolve"
    return found[0]


def test_our_signed_fetches_are_accepted_by_a_server_that_requires_them(federation_server, fed_owner, fedify_oracle):
    fedify_oracle.mode(require_signed_get=True)
    other = fedify_oracle.actor_url("impostor")
    # In this mode the oracle answers actor documents only to GETs whose signature Fedify verifies.
    unsigned = requests.get(other, headers={"accept": "application/activity+json"}, timeout=30)
    assert unsigned.status_code == 401, unsigned.status_code
    found = resolve(fed_owner, other)["accounts"]
    assert found and found[0]["uri"] == other, found
    ours = [g for g in fedify_oracle.signed_gets() if g["verified"]]
    assert ours and ours[-1]["key_id"] == f"{federation_server.url}/actor#main-key", fedify_oracle.signed_gets()


@pytest.mark.parametrize("signature_spec", [DRAFT, RFC9421])
def test_fedify_signed_follow_is_verified_and_our_signed_accept_verifies_in_fedify(federation_server, fed_owner, fedify_oracle, signature_spec):
    result = fedify_oracle.send(f"{actor(federation_server)}/inbox", follow(fedify_oracle, federation_server, signature_spec), spec=signature_spec)
    assert result["status"] == 202, result
    accept = fedify_oracle.wait_received(lambda e: activity_type(e) == "Accept", timeout=30)
    assert accept["verified"], accept
    assert accept["actor_owns_key"], accept
    assert accept["activity"]["object"]["actor"] == fedify_oracle.actor_url()
    account = oracle_account(fed_owner, fedify_oracle)
    rel = fed_owner.get("/api/v1/accounts/relationships", params={"id[]": account["id"]}).json_body[0]
    assert rel["followed_by"] is True


def test_forged_and_tampered_requests_are_rejected(federation_server, fed_owner, fedify_oracle):
    inbox = f"{federation_server.url}/inbox"
    # The impostor signs with its own (valid) key but claims to be the oracle.
    forged = fedify_oracle.send(inbox, follow(fedify_oracle, federation_server, "forged"), key="impostor")
    assert forged["status"] == 401, forged
    # The refusal says nothing of what the key fetch found (the server log does: "not the actor").
    assert forged["body"] == {"error": "the request's signature could not be verified"}, forged
    for tamper in ("body", "date_stale", "digest", "signature", "unsigned"):
        result = fedify_oracle.send(inbox, follow(fedify_oracle, federation_server, f"t-{tamper}"), tamper=tamper)
        assert result["status"] in (400, 401), (tamper, result)
        assert "error" in result["body"], (tamper, result)
    # None of them created a follow.
    followers = d1_rows(federation_server, "SELECT uri FROM follows WHERE uri LIKE ?", ("%#follows/t-%",))
    assert followers == []
    assert d1_rows(federation_server, "SELECT uri FROM follows WHERE uri LIKE ?", ("%#follows/forged",)) == []


def test_oversize_and_malformed_bodies(federation_server):
    inbox = f"{federation_server.url}/inbox"
    big = requests.post(inbox, data=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                        headers={"content-type": "application/activity+json"}, timeout=30)
    assert big.status_code == 413 and "error" in big.json()
    garbage = requests.post(inbox, data=b"not json", headers={"content-type": "application/activity+json"}, timeout=30)
    assert garbage.status_code == 400 and "error" in garbage.json()


def test_our_notes_carry_proofs_that_fedify_verifies(federation_server, fed_owner, fedify_oracle):
    status = fed_owner.post("/api/v1/statuses", data={"status": "proof please #fep8b32", "visibility": "public"}).json_body
    note = requests.get(status["uri"], headers={"accept": "application/activity+json"}, timeout=30)
    assert note.status_code == 200, note.text
    assert note.headers["content-type"].startswith("application/activity+json")
    document = note.json()
    assert document["type"] == "Note" and document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    verdict = fedify_oracle.verify_proof(document)
    assert verdict["verified"], (verdict["error"], [l for l in verdict.get("log", []) if "key" in l or "proof" in l][:6])
    document["content"] = "<p>tampered</p>"
    assert not fedify_oracle.verify_proof(document)["verified"]


def test_fedify_proofs_authenticate_unsigned_deliveries(federation_server, fed_owner, fedify_oracle):
    me = actor(federation_server)
    note_id = f"{fedify_oracle.actor_url()}/notes/proof-{time.time_ns()}"
    create = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v1"],
        "id": f"{note_id}/activity", "type": "Create", "actor": fedify_oracle.actor_url(), "to": [me],
        "object": {"id": note_id, "type": "Note", "attributedTo": fedify_oracle.actor_url(), "to": [me],
                   "content": "<p>signed by proof only</p>", "tag": [{"type": "Mention", "href": me}]},
    }
    signed = fedify_oracle.sign_proof(create)
    result = fedify_oracle.send(f"{federation_server.url}/inbox", signed, tamper="unsigned")
    assert result["status"] == 202, result
    found = wait_for(lambda: [n for n in fed_owner.get("/api/v1/notifications").json_body
                              if n.get("status") and n["status"]["uri"] == note_id], 20)
    assert found[0]["type"] == "mention"
    # The same activity with its content changed after signing is refused.
    forged = dict(signed, id=f"{note_id}/forged")
    result = fedify_oracle.send(f"{federation_server.url}/inbox", forged, tamper="unsigned")
    assert result["status"] == 401, result


def test_a_peer_down_for_a_while_gets_the_delivery_after_retries(federation_server, fed_owner, fedify_oracle):
    account = oracle_account(fed_owner, fedify_oracle)
    fedify_oracle.mode(inbox_status=500)
    resp = fed_owner.post(f"/api/v1/accounts/{account['id']}/follow")
    assert resp.status_code == 200, describe(resp)
    wait_for(lambda: [e for e in fedify_oracle.received() if e.get("status") == 500], 30)
    fedify_oracle.mode(inbox_status=None)
    delivered = fedify_oracle.wait_received(lambda e: activity_type(e) == "Follow" and e.get("status") != 500, timeout=60)
    assert delivered["verified"], delivered
    rel = wait_for(lambda: [r for r in fed_owner.get("/api/v1/accounts/relationships", params={"id[]": account["id"]}).json_body
                            if r["following"]], 30)
    assert rel


def test_a_peer_that_stays_down_ends_in_the_dead_letter_queue(federation_server, fed_owner, fedify_oracle):
    account = oracle_account(fed_owner, fedify_oracle)
    fedify_oracle.mode(inbox_status=503)
    fed_owner.post(f"/api/v1/accounts/{account['id']}/unfollow")
    rows = wait_for(lambda: d1_rows(federation_server, "SELECT * FROM delivery_failures WHERE dead_lettered = 1"), 90)
    assert rows[0]["inbox_url"].startswith(fedify_oracle.url)
    peer = d1_rows(federation_server, "SELECT * FROM instances WHERE domain = ?", (fedify_oracle.host,))
    assert peer and peer[0]["unreachable_since"], peer
    # Later deliveries to it are held, not attempted.
    before = len(fedify_oracle.received())
    fed_owner.post(f"/api/v1/accounts/{account['id']}/block")
    held = wait_for(lambda: d1_rows(federation_server, "SELECT * FROM delivery_failures WHERE last_error LIKE 'held%'"), 30)
    assert held
    assert len(fedify_oracle.received()) == before
    fedify_oracle.mode(inbox_status=None)


def test_private_addresses_are_not_fetched_without_the_dev_flag(server, fedify_oracle, api, spec):
    from helpers import password_token, register_app
    token = password_token(api, register_app(api))
    resp = api.get("/api/v2/search", params={"q": fedify_oracle.actor_url(), "resolve": "true"}, token=token)
    assert resp.status_code == 200, describe(resp)
    assert resp.json_body["accounts"] == []
    assert not [e for e in fedify_oracle.received()]
    # wrangler writes its log asynchronously: wait for the refusal to show up there.
    wait_for(lambda: "private address" in server.log_tail(400), 15, message="the refusal in the log")

