"""Interop with a real snac2 instance: Topi's alice and snac's bob follow, post, reply, like,
boost, edit, delete, update their profiles, send a direct message and unfollow each other.

The tests run in file order and build on each other (module-scoped snac peer, session-scoped
federation server): each scenario checks the result on both sides, snac's data files / API and
Topi's Mastodon API. snac delivers 3-6 s after an action (`snac.flush()` hurries it) and works a
received activity ~3 s after its 202; Topi's deliveries go through the local queue (batches of
up to 5 s). Every wait polls (no fixed sleeps).

When something does not arrive, look at snac's log (`snac.log_path`, "bad signature" and the
like) and Topi's wrangler log (`federation_server.log_path`); both are in the failure message.
"""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest

from client import describe
from helpers import post_status, unique, wait_for
from settings import USERNAME

TIMEOUT = 30  # seconds for one side to see what the other did
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_ADDRESSES = {PUBLIC, "as:Public", "Public"}


# -- helpers --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state() -> SimpleNamespace:
    """What the scenarios hand to the ones after them (ids and URLs)."""
    return SimpleNamespace()


def eventually(predicate, message: str, server=None, snac=None, timeout: float = TIMEOUT):
    """wait_for with both peers' log tails in the failure message."""
    try:
        return wait_for(predicate, timeout, interval=0.5, message=message)
    except AssertionError as exc:
        tails = []
        if snac is not None:
            tails.append(f"--- snac log {snac.log_path}:\n{snac.log_tail(25)}")
        if server is not None:
            tails.append(f"--- Topi log {server.log_path}:\n{server.log_tail(25)}")
        raise AssertionError("\n".join([str(exc), *tails])) from None


def alice_actor(server) -> str:
    return f"{server.url}/users/{USERNAME}"


def alice_handle(server) -> str:
    return f"{USERNAME}@{server.host}"


def ok_json(resp, status: int = 200):
    assert resp.status_code == status, describe(resp)
    return resp.json_body


def topi_account_of_bob(api, server, snac) -> dict:
    """Bob's account at Topi, found by handle through WebFinger (search with resolve=true)."""
    found = ok_json(api.get("/api/v2/search", params={"q": "@" + snac.handle, "resolve": "true",
                                                      "type": "accounts"}))
    matches = [a for a in found["accounts"] if a["acct"] == snac.handle]
    if not matches:
        time.sleep(0.5)  # wrangler prints the Worker's error after the request line
        raise AssertionError(f"@{snac.handle} did not resolve: {found['accounts']!r}\n"
                             f"--- snac log:\n{snac.log_tail(8)}\n--- Topi log:\n{server.log_tail(8)}")
    return matches[0]


def topi_account(api, account_id: str) -> dict:
    return ok_json(api.get(f"/api/v1/accounts/{account_id}"))


def topi_me(api) -> dict:
    return ok_json(api.get("/api/v1/accounts/verify_credentials"))


def relationship(api, account_id: str) -> dict:
    rels = ok_json(api.get("/api/v1/accounts/relationships", params={"id[]": account_id}))
    assert len(rels) == 1 and rels[0]["id"] == account_id, rels
    return rels[0]


def topi_status(api, status_id: str):
    """GET /api/v1/statuses/:id: the Status, or None on 404."""
    resp = api.get(f"/api/v1/statuses/{status_id}")
    if resp.status_code == 404:
        return None
    return ok_json(resp)


def home_status_with_uri(api, uri: str) -> dict | None:
    """The status with this ActivityPub id in alice's home timeline (not a reblog wrapper)."""
    for status in ok_json(api.get("/api/v1/timelines/home", params={"limit": 40})):
        if status["uri"] == uri:
            return status
    return None


def topi_notifications(api, kind: str) -> list[dict]:
    return ok_json(api.get("/api/v1/notifications", params={"types[]": kind, "limit": 40}))


def topi_notification(api, kind: str, account_id: str, status_id: str | None = None) -> dict | None:
    """The newest notification of this type from the account (about the status, if given)."""
    for n in topi_notifications(api, kind):
        if n["type"] != kind or n["account"]["id"] != account_id:
            continue
        if status_id is None or (n.get("status") or {}).get("id") == status_id:
            return n
    return None


def snac_posted(snac, text: str, **fields) -> str:
    """bob posts and snac delivers it now; the Note's id."""
    uri = snac.note(text, **fields)["uri"]
    snac.flush()
    return uri


def addressed(obj: dict) -> set[str]:
    return set(_as_list(obj.get("to"))) | set(_as_list(obj.get("cc")))


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def deleted_at_snac(snac, uri: str) -> bool:
    obj = snac.object(uri)
    return obj is None or obj.get("type") == "Tombstone"


# -- 1-2: follows ----------------------------------------------------------------------------------


def test_01_alice_follows_bob(fed_owner, federation_server, snac, state):
    bob = topi_account_of_bob(fed_owner, federation_server, snac)
    assert bob["url"] and bob["username"] == snac.user, bob
    state.bob_id = bob["id"]
    state.alice_id = topi_me(fed_owner)["id"]

    rel = ok_json(fed_owner.post(f"/api/v1/accounts/{state.bob_id}/follow"))
    assert rel["following"] or rel["requested"], rel

    eventually(lambda: alice_actor(federation_server) in snac.followers(),
               "alice among bob's followers at snac", federation_server, snac)
    snac.flush()  # the Accept goes out
    eventually(lambda: relationship(fed_owner, state.bob_id)["following"],
               "Topi's relationship following=true after snac's Accept", federation_server, snac)
    rel = relationship(fed_owner, state.bob_id)
    assert rel["requested"] is False, rel
    assert topi_me(fed_owner)["following_count"] >= 1


def test_02_bob_follows_alice(fed_owner, federation_server, snac, state):
    followers_before = topi_me(fed_owner)["followers_count"]
    snac.follow(alice_handle(federation_server))
    snac.flush()

    eventually(lambda: topi_me(fed_owner)["followers_count"] == followers_before + 1,
               "alice's followers_count to grow by one", federation_server, snac)
    assert topi_notification(fed_owner, "follow", state.bob_id), topi_notifications(fed_owner, "follow")
    assert relationship(fed_owner, state.bob_id)["followed_by"] is True

    eventually(lambda: snac.following().get(alice_actor(federation_server)) == "accepted",
               "bob's follow of alice accepted at snac", federation_server, snac)
    state.alice_followers = followers_before + 1


# -- 3-5: posts and replies ------------------------------------------------------------------------


def test_03_bob_posts_public_note(fed_owner, federation_server, snac, state):
    text = unique("hello from snac ")
    state.bob_note = snac_posted(snac, text)

    status = eventually(lambda: home_status_with_uri(fed_owner, state.bob_note),
                        "bob's note in alice's home timeline", federation_server, snac)
    assert text in status["content"], status["content"]
    assert status["account"]["id"] == state.bob_id, status["account"]
    assert status["visibility"] == "public", status
    assert status["reblog"] is None
    state.bob_note_id = status["id"]
    assert snac.object(state.bob_note)["attributedTo"] == snac.actor_url


def test_04_alice_replies_to_bob(fed_owner, federation_server, snac, state):
    text = unique(f"@{snac.handle} a reply from Topi ")
    reply = post_status(fed_owner, text, in_reply_to_id=state.bob_note_id)
    assert reply["in_reply_to_id"] == state.bob_note_id, reply
    assert reply["in_reply_to_account_id"] == state.bob_id, reply
    state.alice_reply = reply["uri"]

    obj = eventually(lambda: snac.object(reply["uri"]), "alice's reply stored at snac",
                     federation_server, snac)
    assert obj["inReplyTo"] == state.bob_note, obj
    assert obj["attributedTo"] == alice_actor(federation_server), obj
    eventually(lambda: reply["uri"] in snac.replies(state.bob_note),
               "alice's reply in snac's replies of bob's note", federation_server, snac)
    eventually(lambda: any(n.get("objid") == reply["uri"] for n in snac.notifications()),
               "a notification at snac for the reply", federation_server, snac)


def test_05_bob_replies_to_alice(fed_owner, federation_server, snac, state):
    post = post_status(fed_owner, unique("a post from alice for bob to answer "))
    state.alice_post_id, state.alice_post = post["id"], post["uri"]
    eventually(lambda: snac.object(post["uri"]), "alice's post delivered to snac (bob follows her)",
               federation_server, snac)

    text = unique(f"@{alice_handle(federation_server)} bob answers ")
    reply_uri = snac.reply(post["uri"], text)["uri"]
    snac.flush()

    mention = eventually(lambda: topi_notification(fed_owner, "mention", state.bob_id),
                         "a 'mention' notification from bob", federation_server, snac)
    reply = mention["status"]
    assert reply["uri"] == reply_uri, reply
    assert reply["in_reply_to_id"] == post["id"], reply
    assert reply["in_reply_to_account_id"] == state.alice_id, reply
    assert "bob answers" in reply["content"], reply["content"]
    eventually(lambda: topi_status(fed_owner, post["id"])["replies_count"] == 1,
               "replies_count 1 on alice's post", federation_server, snac)


# -- 6-9: likes and boosts -------------------------------------------------------------------------


def test_06_alice_favourites_bobs_note(fed_owner, federation_server, snac, state):
    alice = alice_actor(federation_server)
    status = ok_json(fed_owner.post(f"/api/v1/statuses/{state.bob_note_id}/favourite"))
    assert status["favourited"] is True, status
    eventually(lambda: alice in snac.likes(state.bob_note), "alice in snac's likes of bob's note",
               federation_server, snac)
    assert any(n["type"] == "Like" and n["actor"] == alice for n in snac.notifications())

    status = ok_json(fed_owner.post(f"/api/v1/statuses/{state.bob_note_id}/unfavourite"))
    assert status["favourited"] is False, status
    eventually(lambda: alice not in snac.likes(state.bob_note),
               "alice gone from snac's likes after the unfavourite", federation_server, snac)


def test_07_bob_likes_alices_post(fed_owner, federation_server, snac, state):
    snac.like(state.alice_post)
    snac.flush()
    eventually(lambda: topi_status(fed_owner, state.alice_post_id)["favourites_count"] == 1,
               "favourites_count 1 on alice's post", federation_server, snac)
    assert topi_notification(fed_owner, "favourite", state.bob_id, state.alice_post_id), \
        topi_notifications(fed_owner, "favourite")

    snac.unlike(state.alice_post)
    snac.flush()
    eventually(lambda: topi_status(fed_owner, state.alice_post_id)["favourites_count"] == 0,
               "favourites_count back to 0 after bob's unlike", federation_server, snac)


def test_08_alice_boosts_bobs_note(fed_owner, federation_server, snac, state):
    alice = alice_actor(federation_server)
    wrapper = ok_json(fed_owner.post(f"/api/v1/statuses/{state.bob_note_id}/reblog"))
    assert wrapper["reblog"]["id"] == state.bob_note_id, wrapper
    eventually(lambda: alice in snac.announces(state.bob_note),
               "alice in snac's announces of bob's note", federation_server, snac)
    assert any(n["type"] == "Announce" and n["actor"] == alice for n in snac.notifications())

    status = ok_json(fed_owner.post(f"/api/v1/statuses/{state.bob_note_id}/unreblog"))
    assert status["reblogged"] is False, status
    eventually(lambda: snac.log_lines(r"Unboost for " + re.escape(state.bob_note)),
               "snac's log to show the unboost", federation_server, snac)
    undo = [d["activity"] for d in snac.inbox_deliveries()
            if isinstance(d["activity"], dict) and d["activity"].get("type") == "Undo"
            and isinstance(d["activity"].get("object"), dict)
            and d["activity"]["object"].get("type") == "Announce"]
    assert undo and undo[-1]["actor"] == alice, undo


def test_09_bob_boosts_alices_post(fed_owner, federation_server, snac, state):
    snac.boost(state.alice_post)
    snac.flush()
    eventually(lambda: topi_status(fed_owner, state.alice_post_id)["reblogs_count"] == 1,
               "reblogs_count 1 on alice's post", federation_server, snac)
    assert topi_notification(fed_owner, "reblog", state.bob_id, state.alice_post_id), \
        topi_notifications(fed_owner, "reblog")

    snac.unboost(state.alice_post)
    snac.flush()
    eventually(lambda: topi_status(fed_owner, state.alice_post_id)["reblogs_count"] == 0,
               "reblogs_count back to 0 after bob's unboost", federation_server, snac)


# -- 10-12: edits and deletes ----------------------------------------------------------------------


def test_10_bob_edits_his_note(fed_owner, federation_server, snac, state):
    text = unique("edited at snac ")
    snac.edit(state.bob_note, text)
    snac.flush()
    status = eventually(lambda: (s := topi_status(fed_owner, state.bob_note_id)) and text in s["content"] and s,
                        "bob's edit visible at Topi", federation_server, snac)
    assert status["edited_at"] is not None, status
    assert status["uri"] == state.bob_note


def test_11_bob_deletes_his_note(fed_owner, federation_server, snac, state):
    snac.delete(state.bob_note)
    snac.flush()
    assert deleted_at_snac(snac, state.bob_note), snac.object(state.bob_note)
    eventually(lambda: topi_status(fed_owner, state.bob_note_id) is None,
               "404 for bob's deleted note at Topi", federation_server, snac)
    assert home_status_with_uri(fed_owner, state.bob_note) is None


def test_12_alice_edits_and_deletes_her_post(fed_owner, federation_server, snac, state):
    post = post_status(fed_owner, unique("alice will edit this "))
    eventually(lambda: snac.object(post["uri"]), "alice's post at snac", federation_server, snac)

    text = unique("alice edited this ")
    edited = ok_json(fed_owner.put(f"/api/v1/statuses/{post['id']}", data={"status": text}))
    assert edited["edited_at"] is not None, edited
    obj = eventually(lambda: (o := snac.object(post["uri"])) and text in o.get("content", "") and o,
                     "alice's edit at snac", federation_server, snac)
    assert obj.get("updated"), obj

    ok_json(fed_owner.delete(f"/api/v1/statuses/{post['id']}"))
    eventually(lambda: deleted_at_snac(snac, post["uri"]), "alice's post deleted at snac",
               federation_server, snac)


# -- 13-14: profile and direct message -------------------------------------------------------------


def test_13_bob_updates_his_profile(fed_owner, federation_server, snac, state):
    name = unique("Bob Renamed ")
    snac.update_profile(display_name=name)
    snac.flush()
    eventually(lambda: topi_account(fed_owner, state.bob_id)["display_name"] == name,
               "bob's new display name at Topi", federation_server, snac)


def test_14_alice_sends_bob_a_direct_message(fed_owner, federation_server, snac, state):
    text = unique(f"@{snac.handle} just between us ")
    dm = post_status(fed_owner, text, visibility="direct")
    assert dm["visibility"] == "direct", dm
    assert [m["acct"] for m in dm["mentions"]] == [snac.handle], dm["mentions"]

    obj = eventually(lambda: snac.object(dm["uri"]), "alice's direct message at snac",
                     federation_server, snac)
    assert obj["attributedTo"] == alice_actor(federation_server), obj
    assert "just between us" in obj["content"], obj
    assert snac.actor_url in addressed(obj), obj
    assert not addressed(obj) & PUBLIC_ADDRESSES, obj
    assert f"{alice_actor(federation_server)}/followers" not in addressed(obj), obj
    eventually(lambda: any(n.get("objid") == dm["uri"] for n in snac.notifications()),
               "a notification at snac for the direct message", federation_server, snac)


# -- 15: unfollows ---------------------------------------------------------------------------------


def test_15_unfollow_both_ways(fed_owner, federation_server, snac, state):
    alice = alice_actor(federation_server)
    rel = ok_json(fed_owner.post(f"/api/v1/accounts/{state.bob_id}/unfollow"))
    assert rel["following"] is False and rel["requested"] is False, rel
    eventually(lambda: alice not in snac.followers(), "alice gone from bob's followers at snac",
               federation_server, snac)

    before = topi_me(fed_owner)["followers_count"]
    assert before == state.alice_followers, before
    snac.unfollow(alice)
    snac.flush()
    eventually(lambda: topi_me(fed_owner)["followers_count"] == before - 1,
               "alice's followers_count to drop after bob's unfollow", federation_server, snac)
    assert relationship(fed_owner, state.bob_id)["followed_by"] is False
    assert alice not in snac.following()
