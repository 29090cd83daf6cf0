"""Hashtags: the Tag entity with its history, following tags, featured tags and trends
(docs.joinmastodon.org/methods/tags, /methods/followed_tags, /methods/featured_tags,
/methods/trends; entities/Tag, entities/FeaturedTag; CLIENT-COMPAT §2.3 Tag).

Every test makes up its own tag names, so statuses and tags of other tests never match."""

import os
import re
import secrets
import time
from datetime import datetime, timezone
from urllib.parse import unquote

import pytest

from client import describe, expect_error, expect_ok
from helpers import check_status, link_params, post_status, unique
from settings import USERNAME

NUMERIC_ID = re.compile(r"^\d+$")
DAY = 86_400


def today_midnight() -> int:
    return int(time.time()) // DAY * DAY


def check_tag(tag, base_url, name, *, authenticated):
    """A full Tag: id, name, url, and seven days of history with string values, newest first."""
    assert isinstance(tag["id"], str) and NUMERIC_ID.match(tag["id"]), tag
    assert tag["name"].lower() == name.lower(), tag
    # Non-ASCII names are percent-encoded (Rails' tag_url; Swift's URL(string:) rejects raw UTF-8).
    assert tag["url"].isascii() and unquote(tag["url"]) == f"{base_url}/tags/{name.lower()}", tag
    history = tag["history"]
    assert len(history) == 7, f"history must cover a week: {history}"
    for entry in history:
        assert set(entry) >= {"day", "uses", "accounts"}, entry
        for key in ("day", "uses", "accounts"):
            assert isinstance(entry[key], str) and entry[key].isdigit(), f"history {key} must be a string: {entry}"
    days = [int(entry["day"]) for entry in history]
    now_day = today_midnight()
    assert days[0] in (now_day, now_day - DAY), f"history starts today (UTC midnight): {days}"
    assert all(a - b == DAY for a, b in zip(days, days[1:])), f"history days must be consecutive, newest first: {days}"
    if authenticated:
        assert isinstance(tag.get("following"), bool), f"following must be a boolean when signed in: {tag}"
    else:
        assert tag.get("following") is None, f"following is only for a signed-in user: {tag}"


def followed_names(session, **kwargs):
    return [t["name"].lower() for t in expect_ok(session.get("/api/v1/followed_tags", params={"limit": 200}, **kwargs))]


def all_trending_tags(session, **kwargs):
    """Every trending tag, paged with offset (the first page alone depends on other tests)."""
    names, offset = [], 0
    for _ in range(100):
        page = expect_ok(session.get("/api/v1/trends/tags", params={"limit": 20, "offset": offset}, **kwargs))
        names += [t["name"].lower() for t in page]
        if len(page) < 20:
            return names
        offset += len(page)
    pytest.fail("trends/tags never ended")


def all_trending_statuses(session, **kwargs):
    statuses, offset = [], 0
    for _ in range(100):
        page = expect_ok(session.get("/api/v1/trends/statuses", params={"limit": 40, "offset": offset}, **kwargs))
        statuses += page
        if len(page) < 40:
            return statuses
        offset += len(page)
    pytest.fail("trends/statuses never ended")


def all_trending_status_ids(session, **kwargs):
    return [s["id"] for s in all_trending_statuses(session, **kwargs)]


# -- GET /api/v1/tags/:name ----------------------------------------------------------------------


def test_tag_of_a_posted_status(owner, base_url):
    name = unique("tagged")
    post_status(owner, f"About #{name}")
    tag = expect_ok(owner.get(f"/api/v1/tags/{name}"))
    check_tag(tag, base_url, name, authenticated=True)
    assert tag["following"] is False
    today = tag["history"][0]
    assert int(today["uses"]) >= 1 and int(today["accounts"]) == 1, tag["history"]
    assert all(entry["uses"] == "0" for entry in tag["history"][1:]), "a brand-new tag was not used before today"


def test_history_counts_every_use_today(owner, base_url):
    name = unique("counted")
    for i in range(3):
        post_status(owner, f"#{name} number {i}")
    tag = expect_ok(owner.get(f"/api/v1/tags/{name}"))
    assert (tag["history"][0]["uses"], tag["history"][0]["accounts"]) == ("3", "1"), tag["history"]


def test_tag_anonymously(owner, api, base_url):
    name = unique("anon")
    post_status(owner, f"Public #{name}")
    tag = expect_ok(api.get(f"/api/v1/tags/{name}", token=None))
    check_tag(tag, base_url, name, authenticated=False)
    assert int(tag["history"][0]["uses"]) >= 1


def test_tag_lookup_is_case_insensitive(owner, base_url):
    name = unique("case")
    post_status(owner, f"#{name}")
    lower = expect_ok(owner.get(f"/api/v1/tags/{name}"))
    upper = expect_ok(owner.get(f"/api/v1/tags/{name.upper()}"))
    assert upper["id"] == lower["id"] and upper["name"].lower() == name
    check_tag(upper, base_url, name, authenticated=True)


def test_unknown_tag_is_404(owner, api):
    name = unique("nowhere")
    expect_error(owner.get(f"/api/v1/tags/{name}"), 404)
    expect_error(api.get(f"/api/v1/tags/{name}", token=None), 404)


# -- following tags -------------------------------------------------------------------------------


def test_follow_and_unfollow_a_used_tag(owner, base_url):
    name = unique("follow")
    post_status(owner, f"Follow #{name}")

    followed = expect_ok(owner.post(f"/api/v1/tags/{name}/follow"))
    check_tag(followed, base_url, name, authenticated=True)
    assert followed["following"] is True
    assert expect_ok(owner.get(f"/api/v1/tags/{name}"))["following"] is True
    listed = expect_ok(owner.get("/api/v1/followed_tags", params={"limit": 200}))
    entries = [t for t in listed if t["name"].lower() == name]
    assert len(entries) == 1, f"{name} missing from followed_tags: {[t['name'] for t in listed]}"
    check_tag(entries[0], base_url, name, authenticated=True)
    assert entries[0]["following"] is True and entries[0]["id"] == followed["id"]

    unfollowed = expect_ok(owner.post(f"/api/v1/tags/{name}/unfollow"))
    check_tag(unfollowed, base_url, name, authenticated=True)
    assert unfollowed["following"] is False
    assert expect_ok(owner.get(f"/api/v1/tags/{name}"))["following"] is False
    assert name not in followed_names(owner)


def test_follow_is_idempotent(owner):
    """Mastodon 4.1: following a followed tag again succeeds and changes nothing."""
    name = unique("twice")
    first = expect_ok(owner.post(f"/api/v1/tags/{name}/follow"))
    second = expect_ok(owner.post(f"/api/v1/tags/{name}/follow"))
    assert first["id"] == second["id"] and second["following"] is True
    assert followed_names(owner).count(name) == 1
    expect_ok(owner.post(f"/api/v1/tags/{name}/unfollow"))
    assert expect_ok(owner.post(f"/api/v1/tags/{name}/unfollow"))["following"] is False


def test_follow_a_never_used_tag(owner, base_url):
    name = unique("unused")
    followed = expect_ok(owner.post(f"/api/v1/tags/{name}/follow"))
    check_tag(followed, base_url, name, authenticated=True)
    assert followed["following"] is True
    assert all(entry["uses"] == "0" and entry["accounts"] == "0" for entry in followed["history"]), followed
    assert name in followed_names(owner)
    shown = expect_ok(owner.get(f"/api/v1/tags/{name}"))
    assert shown["id"] == followed["id"] and shown["following"] is True
    expect_ok(owner.post(f"/api/v1/tags/{name}/unfollow"))


def test_follow_keeps_the_name_case_insensitive(owner):
    name = unique("mixed")
    followed = expect_ok(owner.post(f"/api/v1/tags/{name.upper()}/follow"))
    assert followed["name"].lower() == name
    assert expect_ok(owner.get(f"/api/v1/tags/{name}"))["following"] is True
    assert expect_ok(owner.post(f"/api/v1/tags/{name}/unfollow"))["following"] is False


def test_follow_an_invalid_name_is_422(owner):
    before = followed_names(owner)
    expect_error(owner.post("/api/v1/tags/a-b/follow"), 422)
    assert followed_names(owner) == before


def test_follow_an_all_digit_name_is_refused(owner):
    """Not a hashtag (Mastodon's HASHTAG_NAME_RE needs a letter). Mastodon's TagsController
    answers 404 for it (`return not_found unless HASHTAG_NAME_RE.match?`); 422 is equally an error."""
    before = followed_names(owner)
    expect_error(owner.post("/api/v1/tags/123/follow"), 404, 422)
    assert followed_names(owner) == before


def test_followed_tags_are_link_paginated_newest_first(owner):
    names = [unique("page") for _ in range(3)]
    for name in names:
        expect_ok(owner.post(f"/api/v1/tags/{name}/follow"))
    try:
        first = owner.get("/api/v1/followed_tags", params={"limit": 2})
        page = expect_ok(first)
        assert [t["name"] for t in page] == [names[2], names[1]], "newest follow first"
        next_params = link_params(first, "next")
        assert next_params is not None, f"no rel=next Link: {first.headers.get('Link')!r}"
        second = expect_ok(owner.get("/api/v1/followed_tags", params=next_params))
        assert second and second[0]["name"] == names[0], [t["name"] for t in second]
    finally:
        for name in names:
            expect_ok(owner.post(f"/api/v1/tags/{name}/unfollow"))


def test_following_tags_needs_a_token_and_the_follow_scope(api, make_token):
    name = unique("scoped")
    expect_error(api.post(f"/api/v1/tags/{name}/follow", token=None), 401)
    expect_error(api.get("/api/v1/followed_tags", token=None), 401)
    read = make_token("read")
    expect_error(api.post(f"/api/v1/tags/{name}/follow", token=read), 403)
    assert name not in followed_names(api, token=read)

    writer = make_token("write:follows")
    assert expect_ok(api.post(f"/api/v1/tags/{name}/follow", token=writer))["following"] is True
    assert name in followed_names(api, token=make_token("read:follows"))
    expect_ok(api.post(f"/api/v1/tags/{name}/unfollow", token=writer))


# -- featured tags --------------------------------------------------------------------------------


def featured(session, **kwargs):
    return expect_ok(session.get("/api/v1/featured_tags", **kwargs))


def feature(session, name):
    resp = session.post("/api/v1/featured_tags", data={"name": name})
    assert resp.status_code == 200, describe(resp)
    return resp.json_body


def unfeature(session, featured_id):
    return expect_ok(session.delete(f"/api/v1/featured_tags/{featured_id}"))


def check_featured(entity, base_url, name):
    assert isinstance(entity["id"], str) and NUMERIC_ID.match(entity["id"]), entity
    assert entity["name"].lower() == name.lower(), entity
    assert entity["url"] == f"{base_url}/@{USERNAME}/tagged/{name.lower()}", entity
    assert isinstance(entity["statuses_count"], (str, int)) and str(entity["statuses_count"]).isdigit(), entity
    last = entity.get("last_status_at")
    assert last is None or re.fullmatch(r"\d{4}-\d\d-\d\d", last), entity


@pytest.mark.skipif(bool(os.environ.get("TOPI_E2E_URL")), reason="an external server may have featured tags")
def test_no_featured_tags_at_first(owner, api, me):
    assert featured(owner) == []
    assert expect_ok(api.get(f"/api/v1/accounts/{me['id']}/featured_tags", token=None)) == []


def test_feature_a_used_tag(owner, api, me, base_url):
    name = unique("featured")
    post_status(owner, f"Showing #{name}")
    entity = feature(owner, name)
    try:
        check_featured(entity, base_url, name)
        assert str(entity["statuses_count"]) == "1", entity
        assert entity["last_status_at"] == datetime.now(timezone.utc).strftime("%Y-%m-%d"), entity

        assert [e for e in featured(owner) if e["id"] == entity["id"]] == [entity]
        public = expect_ok(api.get(f"/api/v1/accounts/{me['id']}/featured_tags", token=None))
        assert [e for e in public if e["id"] == entity["id"]] == [entity], "anyone can see featured tags"
        assert expect_ok(owner.get(f"/api/v1/tags/{name}")).get("featuring") is True
    finally:
        assert unfeature(owner, entity["id"]) == {}
    assert entity["id"] not in [e["id"] for e in featured(owner)]
    assert entity["id"] not in [e["id"] for e in expect_ok(api.get(f"/api/v1/accounts/{me['id']}/featured_tags", token=None))]
    assert expect_ok(owner.get(f"/api/v1/tags/{name}")).get("featuring") is False
    expect_error(owner.delete(f"/api/v1/featured_tags/{entity['id']}"), 404)


def test_featured_statuses_count_covers_public_and_unlisted_posts(owner, base_url):
    """Mastodon's FeaturedTag counts the account's public and unlisted statuses with the tag."""
    name = unique("vis")
    for visibility in ("public", "unlisted", "private", "direct"):
        post_status(owner, f"#{name} {visibility}", visibility=visibility)
    entity = feature(owner, name)
    try:
        check_featured(entity, base_url, name)
        assert str(entity["statuses_count"]) == "2", entity
    finally:
        unfeature(owner, entity["id"])


def test_feature_a_never_used_tag(owner, base_url):
    name = unique("fresh")
    entity = feature(owner, name)
    try:
        check_featured(entity, base_url, name)
        assert str(entity["statuses_count"]) == "0" and entity["last_status_at"] is None, entity
    finally:
        unfeature(owner, entity["id"])


def test_feature_accepts_a_leading_hash(owner, base_url):
    name = unique("hash")
    entity = feature(owner, "#" + name)
    try:
        assert entity["name"] == name, entity
        check_featured(entity, base_url, name)
    finally:
        unfeature(owner, entity["id"])


def test_feature_as_json(owner, base_url):
    name = unique("json")
    entity = expect_ok(owner.post("/api/v1/featured_tags", json={"name": name}))
    try:
        check_featured(entity, base_url, name)
    finally:
        unfeature(owner, entity["id"])


def test_featuring_twice_is_422(owner):
    """Mastodon's FeaturedTag validates the tag's uniqueness per account (validate_tag_uniqueness)."""
    name = unique("dup")
    entity = feature(owner, name)
    try:
        expect_error(owner.post("/api/v1/featured_tags", data={"name": name}), 422)
        assert [e["name"] for e in featured(owner)].count(name) == 1
    finally:
        unfeature(owner, entity["id"])


@pytest.mark.parametrize("name", ["a-b", "123", "", "   "], ids=["dash", "digits", "empty", "blank"])
def test_feature_an_invalid_name_is_422(owner, name):
    before = featured(owner)
    expect_error(owner.post("/api/v1/featured_tags", data={"name": name}), 422)
    assert featured(owner) == before


def test_feature_without_a_name_is_422(owner):
    before = featured(owner)
    expect_error(owner.post("/api/v1/featured_tags", data={}), 422)
    assert featured(owner) == before


def test_at_most_ten_featured_tags(owner):
    """Mastodon: FeaturedTag::LIMIT = 10 per account."""
    made = []
    try:
        while len(featured(owner)) < 10:
            made.append(feature(owner, unique("ten"))["id"])
        expect_error(owner.post("/api/v1/featured_tags", data={"name": unique("eleven")}), 422)
        assert len(featured(owner)) == 10
    finally:
        for featured_id in made:
            unfeature(owner, featured_id)


def test_unfeature_unknown_is_404(owner):
    expect_error(owner.delete("/api/v1/featured_tags/1"), 404)


def test_featured_tags_need_a_token(api, make_token):
    expect_error(api.get("/api/v1/featured_tags", token=None), 401)
    expect_error(api.post("/api/v1/featured_tags", data={"name": unique()}, token=None), 401)
    expect_error(api.post("/api/v1/featured_tags", data={"name": unique()}, token=make_token("read")), 403)
    assert isinstance(expect_ok(api.get("/api/v1/featured_tags", token=make_token("read:accounts"))), list)


def test_featured_tags_of_an_account_need_no_token(api, me):
    assert isinstance(expect_ok(api.get(f"/api/v1/accounts/{me['id']}/featured_tags", token=None)), list)


# -- trends ---------------------------------------------------------------------------------------


def test_a_tag_of_a_public_post_trends(owner, api, base_url):
    name = unique("trend")
    post_status(owner, f"Trending #{name}")
    assert name in all_trending_tags(api, token=None), "a tag used in a public post this week trends"
    page = expect_ok(api.get("/api/v1/trends/tags", params={"limit": 20}, token=None))
    assert len(page) <= 20
    for tag in page:
        check_tag(tag, base_url, tag["name"], authenticated=False)
    for tag in expect_ok(owner.get("/api/v1/trends/tags")):
        check_tag(tag, base_url, tag["name"], authenticated=True)


def test_trends_tags_limit(api):
    assert len(expect_ok(api.get("/api/v1/trends/tags", params={"limit": 1}, token=None))) <= 1


def test_trends_alias(api, owner):
    """GET /api/v1/trends is the deprecated (3.0) name of /api/v1/trends/tags."""
    post_status(owner, f"#{unique('alias')}")
    params = {"limit": 20}
    alias = expect_ok(api.get("/api/v1/trends", params=params, token=None))
    assert alias and alias == expect_ok(api.get("/api/v1/trends/tags", params=params, token=None))


@pytest.mark.parametrize("visibility", ["unlisted", "private", "direct"])
def test_a_tag_of_non_public_posts_does_not_trend(owner, api, visibility):
    name = unique("quiet")
    post_status(owner, f"Not for trends #{name}", visibility=visibility)
    assert name not in all_trending_tags(api, token=None)
    assert name not in all_trending_tags(owner)


def test_a_tag_stops_trending_when_its_post_is_deleted(owner, api):
    name = unique("gone")
    status = post_status(owner, f"Soon gone #{name}")
    assert name in all_trending_tags(api, token=None)
    expect_ok(owner.delete(f"/api/v1/statuses/{status['id']}"))
    assert name not in all_trending_tags(api, token=None)


def test_a_favourited_public_status_trends(owner, api, base_url):
    quiet = post_status(owner, f"nobody cares {secrets.token_hex(3)}")
    status = post_status(owner, f"everybody loves this {secrets.token_hex(3)}")
    expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/favourite"))
    trending = all_trending_statuses(api, token=None)
    entries = [s for s in trending if s["id"] == status["id"]]
    assert len(entries) == 1, "a public status with interactions this week trends (once)"
    assert entries[0]["favourites_count"] == 1 and entries[0]["content"] == status["content"], entries[0]
    check_status(entries[0], base_url, authenticated=False)
    assert quiet["id"] not in [s["id"] for s in trending], "a status without interactions does not trend"
    mine = [s for s in all_trending_statuses(owner) if s["id"] == status["id"]]
    assert len(mine) == 1 and mine[0]["favourited"] is True, "the signed-in view carries the viewer's state"


def test_a_favourited_unlisted_status_does_not_trend(owner, api):
    status = post_status(owner, f"unlisted and loved {secrets.token_hex(3)}", visibility="unlisted")
    expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/favourite"))
    assert status["id"] not in all_trending_status_ids(api, token=None)


def test_a_deleted_status_does_not_trend(owner, api):
    status = post_status(owner, f"loved then deleted {secrets.token_hex(3)}")
    expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/favourite"))
    assert status["id"] in all_trending_status_ids(api, token=None)
    expect_ok(owner.delete(f"/api/v1/statuses/{status['id']}"))
    assert status["id"] not in all_trending_status_ids(api, token=None)


def test_trends_statuses_limit(api):
    assert len(expect_ok(api.get("/api/v1/trends/statuses", params={"limit": 1}, token=None))) <= 1


def test_no_links_trend(api, owner):
    assert expect_ok(api.get("/api/v1/trends/links", token=None)) == []
    assert expect_ok(owner.get("/api/v1/trends/links")) == []
