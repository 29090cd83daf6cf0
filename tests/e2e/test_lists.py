"""Lists: CRUD, members, the list timeline and the lists an account is in
(docs.joinmastodon.org/methods/lists, /methods/timelines#list, /methods/accounts#lists;
entities/List).

The owner is the only account (no remote accounts before federation), so members can only be
tested through their error paths and through the owner, whom Mastodon lets into their own lists
(ListAccount skips the follow check when the list's owner is the account)."""

import re
import secrets

import pytest

from client import describe, expect_error, expect_ok
from helpers import post_status, unique

NUMERIC_ID = re.compile(r"^\d+$")
UNKNOWN_ID = "1"  # a well-formed snowflake no row has
REPLIES_POLICIES = ("followed", "list", "none")


def create_list(session, **fields) -> dict:
    fields.setdefault("title", unique("list "))
    resp = session.post("/api/v1/lists", json=fields)
    assert resp.status_code == 200, describe(resp)
    return resp.json_body


def check_list(entity):
    assert set(entity) >= {"id", "title", "replies_policy", "exclusive"}, entity
    assert isinstance(entity["id"], str) and NUMERIC_ID.match(entity["id"]), entity
    assert isinstance(entity["title"], str) and entity["title"], entity
    assert entity["replies_policy"] in REPLIES_POLICIES, entity
    assert isinstance(entity["exclusive"], bool), entity


def list_ids(session):
    return [entity["id"] for entity in expect_ok(session.get("/api/v1/lists"))]


# -- create, show, index --------------------------------------------------------------------------


def test_create_returns_a_list_with_mastodon_defaults(owner):
    title = unique("Friends ")
    created = create_list(owner, title=title)
    check_list(created)
    assert created["title"] == title
    assert created["replies_policy"] == "list", "Mastodon's default replies_policy is list"
    assert created["exclusive"] is False

    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}")) == created
    index = expect_ok(owner.get("/api/v1/lists"))
    for entity in index:
        check_list(entity)
    assert [e for e in index if e["id"] == created["id"]] == [created]


def test_create_with_a_form_body_and_every_field(owner):
    """Mastodon.py posts forms with '1'/'0' booleans."""
    title = unique("Form ")
    resp = owner.post("/api/v1/lists", data={"title": title, "replies_policy": "followed", "exclusive": "1"})
    created = expect_ok(resp)
    check_list(created)
    assert (created["title"], created["replies_policy"], created["exclusive"]) == (title, "followed", True)
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}")) == created


@pytest.mark.parametrize("policy", REPLIES_POLICIES)
def test_every_replies_policy_is_stored(owner, policy):
    created = create_list(owner, replies_policy=policy)
    assert created["replies_policy"] == policy
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}"))["replies_policy"] == policy


@pytest.mark.parametrize("exclusive", [True, False])
def test_exclusive_is_stored(owner, exclusive):
    created = create_list(owner, exclusive=exclusive)
    assert created["exclusive"] is exclusive
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}"))["exclusive"] is exclusive


def test_ids_are_distinct(owner):
    first, second = create_list(owner), create_list(owner)
    assert first["id"] != second["id"]
    assert {first["id"], second["id"]} <= set(list_ids(owner))


@pytest.mark.parametrize("body", [{"title": ""}, {"title": "   "}, {}], ids=["empty", "blank", "missing"])
def test_title_is_required(owner, body):
    before = list_ids(owner)
    expect_error(owner.post("/api/v1/lists", json=body), 422)
    assert list_ids(owner) == before, "a refused list must not be created"


def test_invalid_replies_policy_is_422(owner):
    before = list_ids(owner)
    expect_error(owner.post("/api/v1/lists", json={"title": unique("list "), "replies_policy": "everyone"}), 422)
    assert list_ids(owner) == before


# -- update ---------------------------------------------------------------------------------------


def test_update_changes_every_field(owner):
    created = create_list(owner)
    title = unique("Renamed ")
    updated = expect_ok(owner.put(f"/api/v1/lists/{created['id']}",
                                  json={"title": title, "replies_policy": "none", "exclusive": True}))
    check_list(updated)
    assert updated == {**created, "title": title, "replies_policy": "none", "exclusive": True}
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}")) == updated


def test_update_with_a_form_body(owner):
    created = create_list(owner)
    title = unique("Form rename ")
    updated = expect_ok(owner.put(f"/api/v1/lists/{created['id']}", data={"title": title, "exclusive": "true"}))
    assert (updated["title"], updated["exclusive"]) == (title, True)


def test_partial_update_keeps_the_other_fields(owner):
    created = create_list(owner, replies_policy="followed", exclusive=True)
    updated = expect_ok(owner.put(f"/api/v1/lists/{created['id']}", json={"replies_policy": "list"}))
    assert updated == {**created, "replies_policy": "list"}


@pytest.mark.parametrize("body", [{"title": ""}, {"title": "  "}, {"replies_policy": "bogus"}],
                         ids=["empty title", "blank title", "bad replies_policy"])
def test_invalid_update_is_422_and_changes_nothing(owner, body):
    created = create_list(owner)
    expect_error(owner.put(f"/api/v1/lists/{created['id']}", json=body), 422)
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}")) == created


# -- unknown and deleted lists --------------------------------------------------------------------


@pytest.mark.parametrize("list_id", [UNKNOWN_ID, "not-a-list"])
def test_unknown_list_is_404_everywhere(owner, list_id):
    expect_error(owner.get(f"/api/v1/lists/{list_id}"), 404)
    expect_error(owner.put(f"/api/v1/lists/{list_id}", json={"title": "x"}), 404)
    expect_error(owner.delete(f"/api/v1/lists/{list_id}"), 404)
    expect_error(owner.get(f"/api/v1/lists/{list_id}/accounts"), 404)
    expect_error(owner.get(f"/api/v1/timelines/list/{list_id}"), 404)


def test_delete_removes_the_list(owner):
    created = create_list(owner)
    assert expect_ok(owner.delete(f"/api/v1/lists/{created['id']}")) == {}
    expect_error(owner.get(f"/api/v1/lists/{created['id']}"), 404)
    assert created["id"] not in list_ids(owner)
    expect_error(owner.get(f"/api/v1/timelines/list/{created['id']}"), 404)
    expect_error(owner.get(f"/api/v1/lists/{created['id']}/accounts"), 404)
    expect_error(owner.put(f"/api/v1/lists/{created['id']}", json={"title": "back"}), 404)
    expect_error(owner.delete(f"/api/v1/lists/{created['id']}"), 404)


# -- members --------------------------------------------------------------------------------------


def test_a_new_list_has_no_members(owner):
    created = create_list(owner)
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}/accounts")) == []
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}/accounts", params={"limit": 0})) == []


def test_adding_an_unknown_account_is_404(owner):
    """Mastodon: Api::V1::Lists::AccountsController#create looks the accounts up with
    Account.find(account_ids), so an id without an account is RecordNotFound -> 404."""
    created = create_list(owner)
    resp = owner.post(f"/api/v1/lists/{created['id']}/accounts", data={"account_ids[]": "999999"})
    expect_error(resp, 404)
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}/accounts")) == []


def test_adding_an_unknown_account_as_json_is_refused(owner):
    created = create_list(owner)
    resp = owner.post(f"/api/v1/lists/{created['id']}/accounts", json={"account_ids": ["999999"]})
    assert 400 <= resp.status_code < 500, describe(resp)
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}/accounts")) == []


def test_adding_to_an_unknown_list_is_404(owner, me):
    expect_error(owner.post(f"/api/v1/lists/{UNKNOWN_ID}/accounts", data={"account_ids[]": me["id"]}), 404)


def test_owner_can_be_added_to_their_own_list(owner, me):
    """Mastodon's ListAccount skips the follow requirement when the account is the list's owner
    (`before_validation :set_follow, unless: :list_owner_account_is_account?`), so adding yourself
    works and your posts then show in that list."""
    created = create_list(owner)
    resp = owner.post(f"/api/v1/lists/{created['id']}/accounts", data={"account_ids[]": me["id"]})
    assert expect_ok(resp) == {}
    members = expect_ok(owner.get(f"/api/v1/lists/{created['id']}/accounts"))
    assert [a["id"] for a in members] == [me["id"]]
    assert created["id"] in [entity["id"] for entity in expect_ok(owner.get(f"/api/v1/accounts/{me['id']}/lists"))]

    assert expect_ok(owner.delete(f"/api/v1/lists/{created['id']}/accounts",
                                  data={"account_ids[]": me["id"]})) == {}
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}/accounts")) == []


def test_removing_a_non_member_is_a_no_op(owner):
    """Mastodon: ListAccount.where(list:, account_id:).destroy_all, then an empty object."""
    created = create_list(owner)
    resp = owner.delete(f"/api/v1/lists/{created['id']}/accounts", data={"account_ids[]": "999999"})
    assert expect_ok(resp) == {}
    assert expect_ok(owner.get(f"/api/v1/lists/{created['id']}/accounts")) == []


# -- list timeline and the lists of an account ----------------------------------------------------


def test_timeline_of_an_empty_list_is_empty(owner):
    created = create_list(owner)
    post_status(owner, f"not for any list {secrets.token_hex(3)}")
    assert expect_ok(owner.get(f"/api/v1/timelines/list/{created['id']}")) == []
    assert expect_ok(owner.get(f"/api/v1/timelines/list/{created['id']}", params={"limit": 5})) == []


def test_lists_of_the_owner_are_empty(owner, me):
    create_list(owner)
    assert expect_ok(owner.get(f"/api/v1/accounts/{me['id']}/lists")) == []


def test_lists_of_an_unknown_account_is_404(owner):
    """Mastodon: Api::V1::Accounts::ListsController finds the account first (Account.find)."""
    expect_error(owner.get(f"/api/v1/accounts/{UNKNOWN_ID}/lists"), 404)


# -- authorization ------------------------------------------------------------------------------


def test_lists_need_a_token(api):
    expect_error(api.get("/api/v1/lists", token=None), 401)
    expect_error(api.post("/api/v1/lists", json={"title": "anonymous"}, token=None), 401)


def test_read_token_cannot_create_update_or_delete(api, owner, make_token):
    read = make_token("read")
    before = list_ids(owner)
    expect_error(api.post("/api/v1/lists", json={"title": unique("list ")}, token=read), 403)
    assert list_ids(owner) == before
    created = create_list(owner)
    expect_error(api.put(f"/api/v1/lists/{created['id']}", json={"title": "nope"}, token=read), 403)
    expect_error(api.delete(f"/api/v1/lists/{created['id']}", token=read), 403)
    assert expect_ok(api.get(f"/api/v1/lists/{created['id']}", token=read)) == created


def test_granular_list_scopes(api, make_token):
    writer, reader = make_token("write:lists"), make_token("read:lists")
    created = expect_ok(api.post("/api/v1/lists", json={"title": unique("list ")}, token=writer))
    check_list(created)
    assert expect_ok(api.get(f"/api/v1/lists/{created['id']}", token=reader)) == created
    assert expect_ok(api.get(f"/api/v1/timelines/list/{created['id']}", token=reader)) == []
    expect_error(api.get("/api/v1/lists", token=make_token("read:statuses")), 403)
    expect_error(api.post("/api/v1/lists", json={"title": unique("list ")}, token=make_token("write:statuses")), 403)
