"""Favourites, reblogs, bookmarks, pins and conversation mutes on the owner's own statuses
(docs.joinmastodon.org/methods/statuses, /methods/favourites, /methods/bookmarks; CLIENT-COMPAT §3 (d)).

Every action returns the updated Status and is idempotent; `reblog` returns the wrapper status."""

import secrets

import pytest

from client import describe, expect_error, expect_ok
from helpers import check_status, post_status

ACTIONS = ["favourite", "unfavourite", "reblog", "unreblog", "bookmark", "unbookmark", "pin", "unpin", "mute",
           "unmute"]


@pytest.fixture
def status(owner):
    return post_status(owner, f"Interact with me {secrets.token_hex(3)}")


def act(session, status_id, action, **kwargs):
    return expect_ok(session.post(f"/api/v1/statuses/{status_id}/{action}", **kwargs))


def get_status(session, status_id, **kwargs):
    return expect_ok(session.get(f"/api/v1/statuses/{status_id}", **kwargs))


def ids(items):
    return [item["id"] for item in items]


def pinned_ids(session, account_id, **kwargs):
    return ids(expect_ok(session.get(f"/api/v1/accounts/{account_id}/statuses", params={"pinned": "true"}, **kwargs)))


def follow_pages(session, path, limit):
    """Every item of a Link-paginated list, following rel=next until an empty page or no link."""
    items, url, seen_urls = [], f"{path}?limit={limit}", set()
    while url:
        assert url not in seen_urls, f"pagination loops at {url}"
        seen_urls.add(url)
        resp = session.get(url)
        page = expect_ok(resp)
        assert len(page) <= limit
        if not page:
            break
        items += page
        url = resp.links.get("next", {}).get("url")
    return items


# -- favourite -----------------------------------------------------------------------------------


def test_favourite_and_unfavourite(owner, api, me, status, base_url):
    favourited = act(owner, status["id"], "favourite")
    check_status(favourited, base_url, owner_id=me["id"])
    assert favourited["id"] == status["id"]
    assert (favourited["favourited"], favourited["favourites_count"]) == (True, 1)
    again = act(owner, status["id"], "favourite")
    assert (again["favourited"], again["favourites_count"]) == (True, 1), "favouriting twice counts once"

    fetched = get_status(owner, status["id"])
    assert (fetched["favourited"], fetched["favourites_count"]) == (True, 1)
    assert get_status(api, status["id"], token=None)["favourites_count"] == 1
    assert ids(expect_ok(api.get(f"/api/v1/statuses/{status['id']}/favourited_by", token=None))) == [me["id"]]
    favourites = expect_ok(owner.get("/api/v1/favourites"))
    assert favourites and favourites[0]["id"] == status["id"], "the newest favourite comes first"
    assert favourites[0]["favourited"] is True

    undone = act(owner, status["id"], "unfavourite")
    assert (undone["favourited"], undone["favourites_count"]) == (False, 0)
    undone = act(owner, status["id"], "unfavourite")
    assert (undone["favourited"], undone["favourites_count"]) == (False, 0), "unfavouriting twice is fine"
    assert get_status(owner, status["id"])["favourited"] is False
    assert expect_ok(owner.get(f"/api/v1/statuses/{status['id']}/favourited_by")) == []
    assert status["id"] not in ids(expect_ok(owner.get("/api/v1/favourites", params={"limit": 40})))


def test_favourite_own_private_status(owner, api):
    private = post_status(owner, "private but likeable", visibility="private")
    assert act(owner, private["id"], "favourite")["favourited"] is True
    expect_error(api.get(f"/api/v1/statuses/{private['id']}/favourited_by", token=None), 404)
    act(owner, private["id"], "unfavourite")


def test_favourites_are_link_paginated_newest_first(owner):
    statuses = [post_status(owner, f"fav page {i} {secrets.token_hex(2)}") for i in range(3)]
    for s in reversed(statuses):  # favourite order differs from posting order
        act(owner, s["id"], "favourite")
    try:
        resp = owner.get("/api/v1/favourites", params={"limit": 2})
        first = expect_ok(resp)
        assert ids(first) == [statuses[0]["id"], statuses[1]["id"]], "ordered by when they were favourited"
        next_url = resp.links.get("next", {}).get("url")
        assert next_url, f"a full page needs a Link rel=next: {resp.headers.get('Link')!r}"
        assert next_url.startswith(owner.base_url + "/api/v1/favourites?"), next_url
        second = expect_ok(owner.get(next_url))
        assert second and second[0]["id"] == statuses[2]["id"]
    finally:
        for s in statuses:
            act(owner, s["id"], "unfavourite")


def test_favourites_list_needs_a_token(api, make_token):
    expect_error(api.get("/api/v1/favourites", token=None), 401)
    expect_error(api.get("/api/v1/favourites", token=make_token("read:statuses")), 403)
    assert isinstance(expect_ok(api.get("/api/v1/favourites", token=make_token("read:favourites"))), list)


# -- reblog --------------------------------------------------------------------------------------


def test_reblog_returns_the_wrapper_status(owner, api, me, status, base_url):
    wrapper = act(owner, status["id"], "reblog")
    check_status(wrapper, base_url, owner_id=me["id"])
    assert wrapper["reblog"] is not None and wrapper["reblog"]["id"] == status["id"]
    assert wrapper["id"] != status["id"], "the reblog is a status of its own"
    assert wrapper["account"]["id"] == me["id"]
    assert wrapper["reblog"]["content"] == status["content"]
    assert (wrapper["reblog"]["reblogged"], wrapper["reblog"]["reblogs_count"]) == (True, 1)

    original = get_status(owner, status["id"])
    assert (original["reblogged"], original["reblogs_count"]) == (True, 1)
    assert ids(expect_ok(api.get(f"/api/v1/statuses/{status['id']}/reblogged_by", token=None))) == [me["id"]]
    fetched_wrapper = get_status(api, wrapper["id"], token=None)
    assert fetched_wrapper["reblog"]["id"] == status["id"]

    again = act(owner, status["id"], "reblog")
    assert again["id"] == wrapper["id"], "reblogging twice returns the existing reblog"
    assert get_status(owner, status["id"])["reblogs_count"] == 1

    undone = act(owner, status["id"], "unreblog")
    assert undone["id"] == status["id"], "unreblog returns the original status"
    assert undone["reblog"] is None
    assert (undone["reblogged"], undone["reblogs_count"]) == (False, 0)
    expect_error(owner.get(f"/api/v1/statuses/{wrapper['id']}"), 404)
    assert expect_ok(owner.get(f"/api/v1/statuses/{status['id']}/reblogged_by")) == []
    undone = act(owner, status["id"], "unreblog")
    assert (undone["reblogged"], undone["reblogs_count"]) == (False, 0), "unreblogging twice is fine"


def test_reblog_appears_on_the_profile(owner, api, me, status):
    wrapper = act(owner, status["id"], "reblog")
    try:
        mine = expect_ok(owner.get(f"/api/v1/accounts/{me['id']}/statuses", params={"limit": 5}))
        assert wrapper["id"] in ids(mine)
        entry = next(s for s in mine if s["id"] == wrapper["id"])
        assert entry["reblog"]["id"] == status["id"]
        anonymous = expect_ok(api.get(f"/api/v1/accounts/{me['id']}/statuses", params={"limit": 5}, token=None))
        assert wrapper["id"] in ids(anonymous)
    finally:
        act(owner, status["id"], "unreblog")


def test_reblog_with_visibility(owner, status):
    wrapper = act(owner, status["id"], "reblog", data={"visibility": "unlisted"})
    try:
        assert wrapper["visibility"] == "unlisted"
    finally:
        act(owner, status["id"], "unreblog")


def test_reblog_of_a_direct_status_is_refused(owner):
    direct = post_status(owner, "only for me", visibility="direct")
    expect_error(owner.post(f"/api/v1/statuses/{direct['id']}/reblog"), 403, 422)
    after = get_status(owner, direct["id"])
    assert (after["reblogged"], after["reblogs_count"]) == (False, 0)


def test_reblog_of_own_private_status_never_widens_its_audience(owner, api, me):
    """Mastodon lets authors boost their own followers-only posts (StatusPolicy#reblog?); the boost
    stays private. Refusing it (403/422) is accepted too; making it visible is not."""
    private = post_status(owner, f"followers only {secrets.token_hex(3)}", visibility="private")
    resp = owner.post(f"/api/v1/statuses/{private['id']}/reblog")
    if resp.status_code in (403, 422):
        expect_error(resp, 403, 422)
        return
    wrapper = expect_ok(resp)
    try:
        assert wrapper["visibility"] == "private", "a boost of a private status stays private"
        expect_error(api.get(f"/api/v1/statuses/{wrapper['id']}", token=None), 404)
        anonymous = expect_ok(api.get(f"/api/v1/accounts/{me['id']}/statuses", params={"limit": 40}, token=None))
        assert wrapper["id"] not in ids(anonymous) and private["id"] not in ids(anonymous)
        public = expect_ok(api.get("/api/v1/timelines/public", params={"limit": 40}, token=None))
        assert wrapper["id"] not in ids(public)
    finally:
        act(owner, private["id"], "unreblog")


def test_deleting_the_original_removes_its_reblog(owner, status):
    wrapper = act(owner, status["id"], "reblog")
    expect_ok(owner.delete(f"/api/v1/statuses/{status['id']}"))
    expect_error(owner.get(f"/api/v1/statuses/{wrapper['id']}"), 404)


def test_deleting_the_reblog_itself_undoes_it(owner, status):
    """DELETE on the wrapper is how some clients unboost (Mastodon allows deleting own reblogs)."""
    wrapper = act(owner, status["id"], "reblog")
    expect_ok(owner.delete(f"/api/v1/statuses/{wrapper['id']}"))
    expect_error(owner.get(f"/api/v1/statuses/{wrapper['id']}"), 404)
    after = get_status(owner, status["id"])
    assert (after["reblogged"], after["reblogs_count"]) == (False, 0)


# -- bookmark ------------------------------------------------------------------------------------


def test_bookmark_and_unbookmark(owner, status, me, base_url):
    bookmarked = act(owner, status["id"], "bookmark")
    check_status(bookmarked, base_url, owner_id=me["id"])
    assert bookmarked["bookmarked"] is True
    assert act(owner, status["id"], "bookmark")["bookmarked"] is True, "bookmarking twice is fine"
    assert get_status(owner, status["id"])["bookmarked"] is True
    bookmarks = expect_ok(owner.get("/api/v1/bookmarks"))
    assert bookmarks and bookmarks[0]["id"] == status["id"], "the newest bookmark comes first"
    assert ids(bookmarks).count(status["id"]) == 1
    assert bookmarks[0]["bookmarked"] is True

    assert act(owner, status["id"], "unbookmark")["bookmarked"] is False
    assert act(owner, status["id"], "unbookmark")["bookmarked"] is False, "unbookmarking twice is fine"
    assert get_status(owner, status["id"])["bookmarked"] is False
    assert status["id"] not in ids(expect_ok(owner.get("/api/v1/bookmarks", params={"limit": 40})))


def test_bookmarks_are_link_paginated(owner):
    statuses = [post_status(owner, f"bookmark page {i} {secrets.token_hex(2)}") for i in range(3)]
    for s in statuses:
        act(owner, s["id"], "bookmark")
    try:
        everything = follow_pages(owner, "/api/v1/bookmarks", 2)
        got = ids(everything)
        assert got[:3] == [statuses[2]["id"], statuses[1]["id"], statuses[0]["id"]], got
        assert len(got) == len(set(got)), "every bookmark exactly once"
    finally:
        for s in statuses:
            act(owner, s["id"], "unbookmark")


def test_deleted_status_leaves_the_bookmarks(owner, status):
    act(owner, status["id"], "bookmark")
    act(owner, status["id"], "favourite")
    expect_ok(owner.delete(f"/api/v1/statuses/{status['id']}"))
    assert status["id"] not in ids(expect_ok(owner.get("/api/v1/bookmarks", params={"limit": 40})))
    assert status["id"] not in ids(expect_ok(owner.get("/api/v1/favourites", params={"limit": 40})))


def test_bookmarks_list_needs_a_token(api, make_token):
    expect_error(api.get("/api/v1/bookmarks", token=None), 401)
    expect_error(api.get("/api/v1/bookmarks", token=make_token("read:statuses")), 403)
    assert isinstance(expect_ok(api.get("/api/v1/bookmarks", token=make_token("read:bookmarks"))), list)


# -- pin -----------------------------------------------------------------------------------------


def test_pin_and_unpin(owner, api, me, status, base_url):
    try:
        pinned = act(owner, status["id"], "pin")
        check_status(pinned, base_url, owner_id=me["id"])
        assert pinned["pinned"] is True
        assert get_status(owner, status["id"])["pinned"] is True
        assert status["id"] in pinned_ids(owner, me["id"])
        assert status["id"] in pinned_ids(api, me["id"], token=None), "pinned public statuses are public"

        resp = owner.post(f"/api/v1/statuses/{status['id']}/pin")
        assert resp.status_code in (200, 422), describe(resp)  # Mastodon: 422 on a duplicate pin
        assert pinned_ids(owner, me["id"]).count(status["id"]) == 1
    finally:
        unpinned = act(owner, status["id"], "unpin")
    assert unpinned["pinned"] is False
    assert act(owner, status["id"], "unpin")["pinned"] is False, "unpinning twice is fine"
    assert get_status(owner, status["id"])["pinned"] is False
    assert status["id"] not in pinned_ids(owner, me["id"])


def test_pinned_private_status_is_only_shown_to_the_owner(owner, api, me):
    private = post_status(owner, "pinned for followers", visibility="private")
    try:
        assert act(owner, private["id"], "pin")["pinned"] is True
        assert private["id"] in pinned_ids(owner, me["id"])
        assert private["id"] not in pinned_ids(api, me["id"], token=None)
    finally:
        act(owner, private["id"], "unpin")


def test_at_most_five_statuses_can_be_pinned(owner, me):
    """Mastodon's StatusPinValidator: PIN_LIMIT = 5, a sixth pin is 422."""
    already = len(pinned_ids(owner, me["id"]))
    assert already < 5, f"{already} statuses are left pinned by other tests"
    statuses = [post_status(owner, f"pin {i}") for i in range(6 - already)]
    try:
        for s in statuses[:-1]:
            act(owner, s["id"], "pin")
        expect_error(owner.post(f"/api/v1/statuses/{statuses[-1]['id']}/pin"), 422)
        assert get_status(owner, statuses[-1]["id"])["pinned"] is False
        assert len(pinned_ids(owner, me["id"])) == 5
    finally:
        for s in statuses:
            act(owner, s["id"], "unpin")


def test_direct_status_cannot_be_pinned(owner, me):
    direct = post_status(owner, "a direct message", visibility="direct")
    expect_error(owner.post(f"/api/v1/statuses/{direct['id']}/pin"), 422)
    assert direct["id"] not in pinned_ids(owner, me["id"])


def test_reblog_cannot_be_pinned(owner, status, me):
    wrapper = act(owner, status["id"], "reblog")
    try:
        expect_error(owner.post(f"/api/v1/statuses/{wrapper['id']}/pin"), 422)
        assert wrapper["id"] not in pinned_ids(owner, me["id"])
    finally:
        act(owner, status["id"], "unreblog")


# -- mute conversation ---------------------------------------------------------------------------


def test_mute_and_unmute_conversation(owner, status):
    assert act(owner, status["id"], "mute")["muted"] is True
    assert act(owner, status["id"], "mute")["muted"] is True, "muting twice is fine"
    assert get_status(owner, status["id"])["muted"] is True
    assert act(owner, status["id"], "unmute")["muted"] is False
    assert act(owner, status["id"], "unmute")["muted"] is False
    assert get_status(owner, status["id"])["muted"] is False


def test_mute_covers_the_whole_thread(owner, status):
    reply = post_status(owner, "in the muted thread", in_reply_to_id=status["id"])
    act(owner, status["id"], "mute")
    try:
        assert get_status(owner, reply["id"])["muted"] is True, "mute applies to the conversation"
    finally:
        act(owner, status["id"], "unmute")
    assert get_status(owner, reply["id"])["muted"] is False


# -- errors shared by every action ---------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_action_on_unknown_status_is_404(owner, action):
    expect_error(owner.post(f"/api/v1/statuses/999999999999999999/{action}"), 404)


@pytest.mark.parametrize("action", ACTIONS)
def test_action_without_token_is_401(api, status, action):
    expect_error(api.post(f"/api/v1/statuses/{status['id']}/{action}", token=None), 401)


@pytest.mark.parametrize("action", ACTIONS)
def test_action_with_read_only_token_is_403(api, make_token, status, action):
    expect_error(api.post(f"/api/v1/statuses/{status['id']}/{action}", token=make_token("read")), 403)


def test_read_only_token_changes_nothing(owner, api, make_token, status):
    token = make_token("read")
    for action in ("favourite", "reblog", "bookmark", "pin", "mute"):
        api.post(f"/api/v1/statuses/{status['id']}/{action}", token=token)
    after = get_status(owner, status["id"])
    assert (after["favourited"], after["reblogged"], after["bookmarked"], after["pinned"], after["muted"]) == (
        False, False, False, False, False)
    assert (after["favourites_count"], after["reblogs_count"]) == (0, 0)
