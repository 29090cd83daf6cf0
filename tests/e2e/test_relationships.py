"""Relationships and the account lists around them: /api/v1/accounts/relationships, the
follow/block/mute/note/pin actions, followers and following, follow requests, blocks, mutes and
endorsements (docs.joinmastodon.org/methods/accounts, /methods/follow_requests, /methods/blocks,
/methods/mutes, /methods/endorsements; CLIENT-COMPAT §2.3 Relationship).

There are no other accounts before federation, so the actions are tested on the owner (Mastodon
forbids following yourself) and on unknown ids (404); the lists are all empty."""

import pytest

from client import describe, expect_error, expect_ok
from helpers import own_account

UNKNOWN_ID = "999999"
RELATIONSHIP_FLAGS = ("following", "showing_reblogs", "notifying", "followed_by", "blocking", "blocked_by",
                      "muting", "muting_notifications", "requested", "requested_by", "domain_blocking", "endorsed")
ACTIONS = ("follow", "unfollow", "remove_from_followers", "block", "unblock", "mute", "unmute", "note", "pin", "unpin")
OWN_LISTS = ("/api/v1/follow_requests", "/api/v1/blocks", "/api/v1/mutes", "/api/v1/endorsements")


def relationships(session, *ids, **kwargs):
    return expect_ok(session.get("/api/v1/accounts/relationships", params=[("id[]", i) for i in ids], **kwargs))


def check_relationship(rel, account_id):
    assert rel["id"] == account_id, rel
    for flag in RELATIONSHIP_FLAGS:
        assert isinstance(rel.get(flag), bool), f"{flag} must be a boolean (Ice Cubes decodes every one): {rel}"
    assert isinstance(rel.get("note"), str), f"note must be a string, never null: {rel}"
    languages = rel.get("languages")
    assert languages is None or isinstance(languages, list), rel


def check_unrelated(rel):
    """The relationship of the owner to themselves: nothing set. showing_reblogs and notifying
    describe a follow, so without one Mastodon's RelationshipSerializer answers false for them too."""
    for flag in RELATIONSHIP_FLAGS:
        assert rel[flag] is False, f"{flag}: {rel}"
    assert rel.get("languages") is None, rel
    assert rel["note"] == ""


# -- GET /api/v1/accounts/relationships ---------------------------------------------------------


def test_relationship_with_the_owner(owner, me):
    rels = relationships(owner, me["id"])
    assert len(rels) == 1, rels
    check_relationship(rels[0], me["id"])
    check_unrelated(rels[0])


def test_single_id_without_brackets(owner, me):
    """Some clients send `id=` once instead of `id[]=`; Rails reads both."""
    rels = expect_ok(owner.get("/api/v1/accounts/relationships", params={"id": me["id"]}))
    assert [r["id"] for r in rels] == [me["id"]]


def test_unknown_ids_are_left_out(owner, me):
    assert relationships(owner, UNKNOWN_ID) == []
    assert relationships(owner, "not-an-id") == []
    rels = relationships(owner, UNKNOWN_ID, me["id"], "12345")
    assert [r["id"] for r in rels] == [me["id"]]


def test_no_ids_gives_an_empty_list(owner):
    assert expect_ok(owner.get("/api/v1/accounts/relationships")) == []


def test_relationships_need_a_token_with_read_follows(api, make_token, me):
    expect_error(api.get("/api/v1/accounts/relationships", params={"id[]": me["id"]}, token=None), 401)
    expect_error(api.get("/api/v1/accounts/relationships", params={"id[]": me["id"]},
                         token=make_token("write")), 403)
    rels = relationships(api, me["id"], token=make_token("read:follows"))
    assert [r["id"] for r in rels] == [me["id"]]


# -- actions ---------------------------------------------------------------------------------------


def test_following_yourself_is_403(owner, me):
    """Mastodon: Api::V1::AccountsController#check_following_self renders 403."""
    expect_error(owner.post(f"/api/v1/accounts/{me['id']}/follow"), 403)
    expect_error(owner.post(f"/api/v1/accounts/{me['id']}/follow", json={"reblogs": False, "notify": True}), 403)
    rel = relationships(owner, me["id"])[0]
    assert (rel["following"], rel["requested"], rel["followed_by"]) == (False, False, False), rel
    account = own_account(owner)
    assert (account["following_count"], account["followers_count"]) == (0, 0)
    assert expect_ok(owner.get(f"/api/v1/accounts/{me['id']}/following")) == []


@pytest.mark.parametrize("action", ACTIONS)
def test_action_on_an_unknown_account_is_404(owner, action):
    data = {"comment": "who?"} if action == "note" else None
    expect_error(owner.post(f"/api/v1/accounts/{UNKNOWN_ID}/{action}", data=data), 404)


@pytest.mark.parametrize("action", ["follow", "block", "mute", "note"])
def test_action_on_a_malformed_id_is_404(owner, action):
    expect_error(owner.post(f"/api/v1/accounts/not-an-id/{action}"), 404)


def test_unknown_action_is_404(owner, me):
    expect_error(owner.post(f"/api/v1/accounts/{me['id']}/befriend"), 404)


@pytest.mark.parametrize("action", ["follow", "block", "mute", "note"])
def test_actions_need_a_token(api, me, action):
    expect_error(api.post(f"/api/v1/accounts/{me['id']}/{action}", token=None), 401)


@pytest.mark.parametrize("action", ["follow", "unfollow", "block", "unblock", "mute", "unmute"])
def test_actions_need_a_write_scope(api, make_token, action):
    expect_error(api.post(f"/api/v1/accounts/{UNKNOWN_ID}/{action}", token=make_token("read")), 403)


def test_follow_requests_of_unknown_accounts_are_404(owner):
    for action in ("authorize", "reject"):
        expect_error(owner.post(f"/api/v1/follow_requests/{UNKNOWN_ID}/{action}"), 404)


# -- followers and following --------------------------------------------------------------------


@pytest.mark.parametrize("which", ["followers", "following"])
def test_followers_and_following_of_the_owner_are_empty(owner, api, me, which):
    resp = api.get(f"/api/v1/accounts/{me['id']}/{which}", token=None)
    assert resp.status_code == 200 and resp.json_body == [], describe(resp)
    assert expect_ok(owner.get(f"/api/v1/accounts/{me['id']}/{which}")) == []
    assert expect_ok(owner.get(f"/api/v1/accounts/{me['id']}/{which}", params={"limit": 5})) == []


@pytest.mark.parametrize("which", ["followers", "following"])
def test_followers_and_following_of_an_unknown_account_are_404(api, which):
    expect_error(api.get(f"/api/v1/accounts/{UNKNOWN_ID}/{which}", token=None), 404)
    expect_error(api.get(f"/api/v1/accounts/not-an-id/{which}", token=None), 404)


def test_counts_match_the_empty_lists(api, me):
    account = expect_ok(api.get(f"/api/v1/accounts/{me['id']}", token=None))
    assert (account["followers_count"], account["following_count"]) == (0, 0)


# -- the owner's own lists ------------------------------------------------------------------------


@pytest.mark.parametrize("path", OWN_LISTS)
def test_own_lists_are_empty(owner, path):
    resp = owner.get(path)
    assert resp.status_code == 200 and resp.json_body == [], describe(resp)
    assert expect_ok(owner.get(path, params={"limit": 10})) == []


@pytest.mark.parametrize("path", OWN_LISTS)
def test_own_lists_need_a_token(api, path):
    expect_error(api.get(path, token=None), 401)


@pytest.mark.parametrize("path, scope", [
    ("/api/v1/blocks", "read:blocks"),
    ("/api/v1/mutes", "read:mutes"),
    ("/api/v1/follow_requests", "read:follows"),
    ("/api/v1/endorsements", "read:accounts"),
])
def test_own_lists_with_their_granular_scope(api, make_token, path, scope):
    assert expect_ok(api.get(path, token=make_token(scope))) == []


@pytest.mark.parametrize("path", ["/api/v1/blocks", "/api/v1/mutes", "/api/v1/follow_requests"])
def test_own_lists_refuse_an_unrelated_scope(api, make_token, path):
    expect_error(api.get(path, token=make_token("read:statuses")), 403)
