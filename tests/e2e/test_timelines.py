"""Timelines: home, public, hashtag and an account's statuses, with id pagination and Link headers
(docs.joinmastodon.org/methods/timelines, /methods/accounts#statuses, /api/guidelines#pagination;
CLIENT-COMPAT §3 (b)).

The suite shares one server, so other tests' statuses are on the same timelines. Exact-content
assertions therefore use hashtags made up per test; the others look only at statuses posted here."""

import secrets
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from client import CheckedSession, describe, expect_error, expect_ok
from helpers import check_status, link_params, own_account, password_token, post_status, register_app, unique

ORIGIN = "https://elk.example"


def ids(items):
    return [item["id"] for item in items]


def descending(id_list):
    return all(int(a) > int(b) for a, b in zip(id_list, id_list[1:]))


@pytest.fixture(scope="module")
def author(server, spec):
    """A module-wide session of the owner (the function-scoped `owner` cannot feed module fixtures)."""
    with CheckedSession(server.url, spec) as session:
        session.token = password_token(session, register_app(session, name="e2e timelines"))
        yield session


@pytest.fixture(scope="module")
def me_id(author):
    return own_account(author)["id"]


@pytest.fixture(scope="module")
def series(author):
    """45 public statuses sharing one fresh hashtag; ids oldest first."""
    tag = unique("series")
    posted = [post_status(author, f"#{tag} number {i}")["id"] for i in range(45)]
    assert descending(list(reversed(posted))), "ids must increase with posting order"
    return {"tag": tag, "ids": posted, "path": f"/api/v1/timelines/tag/{tag}"}


def newest_first(id_list):
    return list(reversed(id_list))


# -- home ----------------------------------------------------------------------------------------


def test_home_shows_own_posts_newest_first(owner, base_url):
    posted = [post_status(owner, f"home {i} {secrets.token_hex(2)}")["id"] for i in range(3)]
    timeline = expect_ok(owner.get("/api/v1/timelines/home", params={"limit": 3}))
    assert ids(timeline) == newest_first(posted)
    for status in timeline:
        check_status(status, base_url)


def test_home_includes_own_private_and_direct_statuses(owner):
    private = post_status(owner, "home private", visibility="private")
    direct = post_status(owner, "home direct", visibility="direct")
    unlisted = post_status(owner, "home unlisted", visibility="unlisted")
    timeline = ids(expect_ok(owner.get("/api/v1/timelines/home", params={"limit": 10})))
    assert {private["id"], direct["id"], unlisted["id"]} <= set(timeline), timeline


def test_deleted_status_leaves_the_timelines(owner, api, me_id):
    tag = unique()
    status = post_status(owner, f"about to vanish #{tag}")
    expect_ok(owner.delete(f"/api/v1/statuses/{status['id']}"))
    for path, session, kwargs in [
        ("/api/v1/timelines/home", owner, {}),
        ("/api/v1/timelines/public", api, {"token": None}),
        (f"/api/v1/timelines/tag/{tag}", api, {"token": None}),
        (f"/api/v1/accounts/{me_id}/statuses", api, {"token": None}),
    ]:
        assert status["id"] not in ids(expect_ok(session.get(path, params={"limit": 10}, **kwargs))), path


@pytest.mark.parametrize("scope, status_code", [(None, 401), ("read:accounts", 403), ("write", 403)])
def test_home_needs_read_statuses(api, make_token, scope, status_code):
    token = make_token(scope) if scope else None
    expect_error(api.get("/api/v1/timelines/home", token=token), status_code)


def test_home_with_read_statuses_scope(api, make_token):
    assert isinstance(expect_ok(api.get("/api/v1/timelines/home", token=make_token("read:statuses"))), list)


# -- public --------------------------------------------------------------------------------------


def test_public_timeline_is_readable_anonymously(owner, api, base_url):
    status = post_status(owner, f"for everyone {secrets.token_hex(3)}")
    timeline = expect_ok(api.get("/api/v1/timelines/public", params={"limit": 5}, token=None))
    assert status["id"] in ids(timeline)
    for item in timeline:
        check_status(item, base_url, authenticated=False)


def test_public_timeline_has_only_public_statuses(owner, api):
    hidden = [post_status(owner, f"not public {v}", visibility=v)["id"] for v in ("unlisted", "private", "direct")]
    visible = post_status(owner, "public after the hidden ones")["id"]
    for session, kwargs in ((api, {"token": None}), (owner, {})):
        for params in ({}, {"local": "true"}):
            timeline = expect_ok(session.get("/api/v1/timelines/public", params={"limit": 40, **params}, **kwargs))
            assert visible in ids(timeline), params
            assert not set(hidden) & set(ids(timeline)), f"unlisted/private/direct leaked into {params}"
            assert {s["visibility"] for s in timeline} == {"public"}, params


def test_public_timeline_local_and_remote(owner, api):
    status = post_status(owner, f"local only {secrets.token_hex(3)}")
    local = expect_ok(api.get("/api/v1/timelines/public", params={"local": "true", "limit": 5}, token=None))
    assert status["id"] in ids(local)
    local = expect_ok(api.get("/api/v1/timelines/public", params={"local": "1", "limit": 5}, token=None))
    assert status["id"] in ids(local)
    remote = expect_ok(api.get("/api/v1/timelines/public", params={"remote": "true", "limit": 40}, token=None))
    assert status["id"] not in ids(remote), "remote=true excludes local statuses"
    assert all(not s["uri"].startswith(api.base_url + "/") for s in remote)


def test_public_timeline_only_media(owner, api):
    status = post_status(owner, f"no media here {secrets.token_hex(3)}")
    timeline = expect_ok(api.get("/api/v1/timelines/public", params={"only_media": "true", "limit": 40}, token=None))
    assert status["id"] not in ids(timeline)
    assert all(s["media_attachments"] for s in timeline), "only_media returned statuses without media"


def test_public_timeline_leaves_out_reblogs_but_keeps_self_replies(owner, api):
    """Mastodon's PublicFeed: no reblogs; replies only when they answer the author's own status."""
    status = post_status(owner, f"boost me {secrets.token_hex(3)}")
    reply = post_status(owner, "a self-reply continues the thread", in_reply_to_id=status["id"])
    wrapper = expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/reblog"))
    try:
        timeline = expect_ok(api.get("/api/v1/timelines/public", params={"limit": 10}, token=None))
        assert wrapper["id"] not in ids(timeline)
        assert all(s["reblog"] is None for s in timeline), "the public timeline has no reblogs"
        assert status["id"] in ids(timeline) and reply["id"] in ids(timeline)
    finally:
        expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/unreblog"))


# -- hashtag -------------------------------------------------------------------------------------


def test_tag_timeline_is_case_insensitive(owner, api):
    name = "Camel" + unique("Case")
    status = post_status(owner, f"Mixed case #{name}")
    for variant in (name, name.lower(), name.upper()):
        timeline = expect_ok(api.get(f"/api/v1/timelines/tag/{variant}", token=None))
        assert ids(timeline) == [status["id"]], variant


def test_tag_timeline_any_all_none(owner, api):
    a, b, c = unique("a"), unique("b"), unique("c")
    only_a = post_status(owner, f"#{a}")["id"]
    only_b = post_status(owner, f"#{b}")["id"]
    both = post_status(owner, f"#{a} #{b}")["id"]
    only_c = post_status(owner, f"#{c}")["id"]

    def timeline(params=None):
        return ids(expect_ok(api.get(f"/api/v1/timelines/tag/{a}", params=params, token=None)))

    assert timeline() == [both, only_a]
    assert timeline([("any[]", b)]) == [both, only_b, only_a]
    assert timeline([("all[]", b)]) == [both]
    assert timeline([("none[]", b)]) == [only_a]
    assert timeline([("any[]", c), ("none[]", b)]) == [only_c, only_a]
    assert timeline([("any[]", b), ("any[]", c)]) == [only_c, both, only_b, only_a]


def test_tag_timeline_has_only_public_statuses(owner, api):
    tag = unique()
    hidden = [post_status(owner, f"#{tag} {v}", visibility=v)["id"] for v in ("unlisted", "private", "direct")]
    public = post_status(owner, f"#{tag} public")["id"]
    assert ids(expect_ok(api.get(f"/api/v1/timelines/tag/{tag}", token=None))) == [public]
    assert ids(expect_ok(owner.get(f"/api/v1/timelines/tag/{tag}"))) == [public], (
        f"unlisted/private/direct {hidden} must stay out of hashtag timelines, even for the author")


def test_tag_timeline_local_and_unknown_tag(owner, api):
    tag = unique()
    status = post_status(owner, f"#{tag} local")
    assert ids(expect_ok(api.get(f"/api/v1/timelines/tag/{tag}", params={"local": "true"}, token=None))) == [
        status["id"]]
    assert expect_ok(api.get(f"/api/v1/timelines/tag/{tag}", params={"remote": "true"}, token=None)) == []
    assert expect_ok(api.get(f"/api/v1/timelines/tag/{unique('never')}", token=None)) == []


def test_edit_moves_a_status_between_tag_timelines(owner, api):
    old, new = unique("old"), unique("new")
    status = post_status(owner, f"#{old}")
    expect_ok(owner.put(f"/api/v1/statuses/{status['id']}", data={"status": f"#{new}"}))
    assert expect_ok(api.get(f"/api/v1/timelines/tag/{old}", token=None)) == []
    assert ids(expect_ok(api.get(f"/api/v1/timelines/tag/{new}", token=None))) == [status["id"]]


# -- an account's statuses -----------------------------------------------------------------------


def test_account_statuses_visibility(owner, api, me_id):
    posted = {v: post_status(owner, f"profile {v}", visibility=v)["id"] for v in
              ("public", "unlisted", "private", "direct")}
    anonymous = ids(expect_ok(api.get(f"/api/v1/accounts/{me_id}/statuses", params={"limit": 10}, token=None)))
    assert {posted["public"], posted["unlisted"]} <= set(anonymous)
    assert posted["private"] not in anonymous and posted["direct"] not in anonymous
    mine = ids(expect_ok(owner.get(f"/api/v1/accounts/{me_id}/statuses", params={"limit": 10})))
    assert set(posted.values()) <= set(mine), "the author sees all of their statuses"
    assert descending(mine)


def test_account_statuses_exclude_replies_keeps_self_replies(owner, me_id):
    """Mastodon's Status.without_replies keeps replies to the author's own statuses (threads)."""
    root = post_status(owner, "thread start")
    reply = post_status(owner, "thread continues", in_reply_to_id=root["id"])
    result = ids(expect_ok(owner.get(f"/api/v1/accounts/{me_id}/statuses",
                                     params={"exclude_replies": "true", "limit": 5})))
    assert result[:2] == [reply["id"], root["id"]]


def test_account_statuses_exclude_reblogs(owner, api, me_id):
    status = post_status(owner, f"to be boosted {secrets.token_hex(3)}")
    wrapper = expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/reblog"))
    try:
        path = f"/api/v1/accounts/{me_id}/statuses"
        assert wrapper["id"] in ids(expect_ok(api.get(path, params={"limit": 5}, token=None)))
        for value in ("true", "1"):
            result = expect_ok(api.get(path, params={"exclude_reblogs": value, "limit": 5}, token=None))
            assert wrapper["id"] not in ids(result) and status["id"] in ids(result)
            assert all(s["reblog"] is None for s in result)
    finally:
        expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/unreblog"))


def test_account_statuses_only_media(owner, api, me_id):
    status = post_status(owner, "text only")
    result = expect_ok(api.get(f"/api/v1/accounts/{me_id}/statuses", params={"only_media": "true"}, token=None))
    assert status["id"] not in ids(result)
    assert all(s["media_attachments"] for s in result)


def test_account_statuses_tagged(owner, api, me_id):
    tag = unique()
    tagged = post_status(owner, f"#{tag} one")["id"]
    post_status(owner, "untagged in between")
    tagged_unlisted = post_status(owner, f"#{tag} two", visibility="unlisted")["id"]
    result = ids(expect_ok(api.get(f"/api/v1/accounts/{me_id}/statuses", params={"tagged": tag}, token=None)))
    assert result == [tagged_unlisted, tagged]
    result = ids(expect_ok(api.get(f"/api/v1/accounts/{me_id}/statuses", params={"tagged": tag.upper()},
                                   token=None)))
    assert result == [tagged_unlisted, tagged], "tagged= is case-insensitive"


def test_account_statuses_pinned(owner, api, me_id):
    status = post_status(owner, "pinned on the profile")
    later = post_status(owner, "newer, not pinned")
    expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/pin"))
    try:
        result = expect_ok(api.get(f"/api/v1/accounts/{me_id}/statuses", params={"pinned": "true"}, token=None))
        assert status["id"] in ids(result) and later["id"] not in ids(result)
    finally:
        expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/unpin"))


def test_statuses_of_unknown_account_is_404(api):
    expect_error(api.get("/api/v1/accounts/999999999999999999/statuses", token=None), 404)


# -- pagination ----------------------------------------------------------------------------------


def test_default_limit_is_20_and_maximum_40(api, author, series, me_id):
    for path, session, kwargs in [
        (series["path"], api, {"token": None}),
        ("/api/v1/timelines/public", api, {"token": None}),
        ("/api/v1/timelines/home", author, {}),
        (f"/api/v1/accounts/{me_id}/statuses", api, {"token": None}),
    ]:
        assert len(expect_ok(session.get(path, **kwargs))) == 20, f"{path}: default limit"
        assert len(expect_ok(session.get(path, params={"limit": 100}, **kwargs))) == 40, f"{path}: limit=100"
        assert len(expect_ok(session.get(path, params={"limit": 7}, **kwargs))) == 7, f"{path}: limit=7"


def test_tag_series_newest_first(api, series):
    assert ids(expect_ok(api.get(series["path"], params={"limit": 40}, token=None))) == newest_first(series["ids"])[:40]


def test_max_id_since_id_min_id(api, series):
    s = series["ids"]

    def page(**params):
        return ids(expect_ok(api.get(series["path"], params=params, token=None)))

    assert page(max_id=s[10], limit=5) == [s[9], s[8], s[7], s[6], s[5]], "max_id: strictly older"
    assert page(since_id=s[10], limit=5) == [s[44], s[43], s[42], s[41], s[40]], "since_id: the newest above it"
    assert page(min_id=s[10], limit=5) == [s[15], s[14], s[13], s[12], s[11]], "min_id: immediately newer, newest first"
    assert page(max_id=s[20], since_id=s[10]) == newest_first(s[11:20])
    assert page(max_id=s[20], min_id=s[10], limit=3) == [s[13], s[12], s[11]]
    assert page(max_id=s[0]) == []
    assert page(min_id=s[44]) == []
    assert page(since_id=s[44]) == []


def test_link_header_next_and_prev(api, base_url, series):
    s = series["ids"]
    resp = api.get(series["path"], params={"limit": 20}, token=None)
    first = ids(expect_ok(resp))
    assert first == newest_first(s)[:20]
    for rel in ("next", "prev"):
        url = resp.links.get(rel, {}).get("url", "")
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == base_url and parts.path == series["path"], (
            f"Link rel={rel} must be an absolute URL of the same endpoint: {resp.headers.get('Link')!r}")
    assert link_params(resp, "next")["max_id"] == first[-1], "next: max_id = the oldest id on the page"
    assert link_params(resp, "prev")["min_id"] == first[0], "prev: min_id = the newest id on the page"
    assert link_params(resp, "next").get("limit") == "20", "the Link keeps the limit"

    second_resp = api.get(resp.links["next"]["url"], token=None)
    second = ids(expect_ok(second_resp))
    assert second == newest_first(s)[20:40]
    back = ids(expect_ok(api.get(second_resp.links["prev"]["url"], token=None)))
    assert back == first, "rel=prev of page 2 is page 1"
    assert expect_ok(api.get(resp.links["prev"]["url"], token=None)) == [], "nothing is newer than the newest"


def test_no_next_link_on_an_empty_page(api, series):
    resp = api.get(series["path"], params={"max_id": series["ids"][0]}, token=None)
    assert expect_ok(resp) == []
    assert "next" not in resp.links, f"an empty page has no rel=next: {resp.headers.get('Link')!r}"


def page_through(session, path, limit, **kwargs):
    """Follow rel=next from the first page; return (ids, number of requests)."""
    got, url, requests_made = [], f"{path}?limit={limit}", 0
    while url:
        requests_made += 1
        assert requests_made < 100, "pagination does not end"
        resp = session.get(url, **kwargs)
        page = ids(expect_ok(resp))
        assert len(page) <= limit, f"{url} returned {len(page)} > limit {limit}"
        if not page:
            assert "next" not in resp.links, describe(resp)
            break
        got += page
        url = resp.links.get("next", {}).get("url")
    return got, requests_made


def test_paging_through_45_statuses_returns_each_once(api, series):
    got, _ = page_through(api, series["path"], 20, token=None)
    assert got == newest_first(series["ids"]), "every status exactly once, newest first"


def test_home_and_account_pages_continue_below_each_other(author, me_id, series):
    for path in ("/api/v1/timelines/home", f"/api/v1/accounts/{me_id}/statuses"):
        resp = author.get(path, params={"limit": 10})
        first = ids(expect_ok(resp))
        assert len(first) == 10 and descending(first)
        assert link_params(resp, "next")["max_id"] == first[-1]
        second = ids(expect_ok(author.get(resp.links["next"]["url"])))
        assert len(second) == 10 and descending(first + second), f"{path}: page 2 continues below page 1"


def test_pagination_cursor_of_a_reblog_is_the_reblog_id(owner, api, me_id):
    """Timeline entries are paged by their own id: a wrapper's, not the reblogged status's."""
    status = post_status(owner, f"boosted later {secrets.token_hex(3)}")
    newer = post_status(owner, f"in between {secrets.token_hex(3)}")
    wrapper = expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/reblog"))
    try:
        path = f"/api/v1/accounts/{me_id}/statuses"
        resp = api.get(path, params={"limit": 1}, token=None)
        assert ids(expect_ok(resp)) == [wrapper["id"]]
        assert link_params(resp, "next")["max_id"] == wrapper["id"]
        assert link_params(resp, "prev")["min_id"] == wrapper["id"]
        following = ids(expect_ok(api.get(resp.links["next"]["url"], token=None)))
        assert following == [newer["id"]], "the page after the boost continues below the boost's id"
    finally:
        expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/unreblog"))


def test_timeline_responses_expose_the_link_header_to_browsers(api, series):
    resp = api.get(series["path"], params={"limit": 5}, token=None, headers={"Origin": ORIGIN})
    expect_ok(resp)
    assert resp.headers.get("Access-Control-Allow-Origin") == "*"
    exposed = {h.strip().lower() for h in resp.headers.get("Access-Control-Expose-Headers", "").split(",")}
    assert "link" in exposed, dict(resp.headers)
    assert "next" in resp.links


@pytest.mark.slow
def test_paging_through_1000_statuses_posted_concurrently(server, spec, author, api):
    """The issue's bar: paging through 1,000 statuses returns each exactly once, in order."""
    tag = unique("bulk")

    def post(i):
        with CheckedSession(server.url, spec, token=author.token) as session:
            return post_status(session, f"#{tag} bulk {i}")["id"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        posted = list(pool.map(post, range(1000)))
    assert len(set(posted)) == 1000, "every status gets its own id"

    got, requests_made = page_through(api, f"/api/v1/timelines/tag/{tag}", 40, token=None)
    assert len(got) == len(set(got)) == 1000, "each status exactly once"
    assert set(got) == set(posted)
    assert descending(got), "strictly descending ids across pages"
    assert requests_made <= 26
