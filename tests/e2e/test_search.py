"""Search: /api/v2/search (accounts, hashtags, statuses) and /api/v1/accounts/search
(docs.joinmastodon.org/methods/search, /methods/accounts#search; entities/Search).

Mastodon searches post text only for a signed-in user; anonymous clients get accounts and
hashtags. Every test searches for words it made up, so other tests' statuses never match."""

import secrets

import pytest

from client import describe, expect_error, expect_ok
from helpers import check_status, post_status, unique
from settings import USERNAME


def search(session, q, **params):
    resp = session.get("/api/v2/search", params={"q": q, **params})
    body = expect_ok(resp)
    assert set(body) >= {"accounts", "statuses", "hashtags"}, describe(resp)
    return body


def anonymous_search(api, q, **params):
    resp = api.get("/api/v2/search", params={"q": q, **params}, token=None)
    body = expect_ok(resp)
    assert set(body) >= {"accounts", "statuses", "hashtags"}, describe(resp)
    return body


def status_ids(result):
    return [s["id"] for s in result["statuses"]]


def account_ids(result):
    return [a["id"] for a in result["accounts"]]


# -- statuses -------------------------------------------------------------------------------------


def test_full_text_finds_the_owners_status(owner, me, base_url):
    word = unique("srch")
    status = post_status(owner, f"A post about {word} and more")
    result = search(owner, word)
    assert status_ids(result) == [status["id"]]
    check_status(result["statuses"][0], base_url, owner_id=me["id"])
    assert result["statuses"][0]["content"] == status["content"]


def test_full_text_matches_any_case_and_several_words(owner):
    word, other = unique("srch"), unique("srch")
    status = post_status(owner, f"First {word} then {other}")
    assert status_ids(search(owner, word.upper())) == [status["id"]]
    assert status_ids(search(owner, f"{word} {other}")) == [status["id"]]


def test_full_text_finds_several_statuses(owner):
    word = unique("srch")
    posted = {post_status(owner, f"{word} number {i}")["id"] for i in range(3)}
    assert set(status_ids(search(owner, word, type="statuses"))) == posted


def test_type_statuses_returns_only_statuses(owner):
    word = unique("alicestatus")
    status = post_status(owner, f"#{word} {word}")
    result = search(owner, word, type="statuses")
    assert status_ids(result) == [status["id"]]
    assert result["accounts"] == [] and result["hashtags"] == []


def test_type_accounts_and_hashtags_return_no_statuses(owner):
    word = unique("srch")
    post_status(owner, f"only text {word}")
    assert search(owner, word, type="accounts")["statuses"] == []
    assert search(owner, word, type="hashtags")["statuses"] == []


def test_limit_and_offset(owner):
    word = unique("srch")
    posted = {post_status(owner, f"{word} page {i}")["id"] for i in range(3)}
    first = status_ids(search(owner, word, type="statuses", limit=2))
    assert len(first) == 2 and set(first) <= posted
    rest = status_ids(search(owner, word, type="statuses", limit=2, offset=2))
    assert len(rest) == 1 and set(first) | set(rest) == posted


def test_account_id_filter(owner, me):
    word = unique("srch")
    status = post_status(owner, f"by alice {word}")
    assert status_ids(search(owner, word, type="statuses", account_id=me["id"])) == [status["id"]]
    assert status_ids(search(owner, word, type="statuses", account_id="1")) == []


def test_owner_finds_own_non_public_statuses(owner):
    """Mastodon indexes a status as searchable by its author, whatever its visibility."""
    word = unique("srch")
    posted = {post_status(owner, f"{visibility} {word}", visibility=visibility)["id"]
              for visibility in ("unlisted", "private", "direct")}
    assert set(status_ids(search(owner, word, type="statuses"))) == posted


def test_deleted_status_is_not_found(owner, api):
    word = unique("srch")
    status = post_status(owner, f"short-lived {word}")
    assert status_ids(search(owner, word)) == [status["id"]]
    expect_ok(owner.delete(f"/api/v1/statuses/{status['id']}"))
    assert status_ids(search(owner, word)) == []
    for url in (status["url"], status["uri"]):
        assert status_ids(anonymous_search(api, url, type="statuses")) == []
        assert status_ids(search(owner, url, type="statuses", resolve="true")) == []


def test_edited_status_is_found_by_its_new_text(owner):
    old, new = unique("old"), unique("new")
    status = post_status(owner, f"before {old}")
    expect_ok(owner.put(f"/api/v1/statuses/{status['id']}", json={"status": f"after {new}"}))
    assert status_ids(search(owner, new)) == [status["id"]]
    assert status_ids(search(owner, old)) == []


def test_anonymous_full_text_finds_no_statuses(owner, api):
    """Mastodon: statuses are searched only for a signed-in account (status_searchable? needs @account)."""
    word = unique("srch")
    post_status(owner, f"public but not searchable anonymously {word}")
    assert anonymous_search(api, word)["statuses"] == []
    assert anonymous_search(api, word, type="statuses")["statuses"] == []


def test_anonymous_search_by_url_finds_a_public_status(owner, api, base_url):
    status = post_status(owner, f"findable by url {secrets.token_hex(3)}")
    for url in (status["url"], status["uri"]):
        result = anonymous_search(api, url, type="statuses")
        assert status_ids(result) == [status["id"]], url
        check_status(result["statuses"][0], base_url, authenticated=False)
    assert anonymous_search(api, status["url"], type="accounts")["statuses"] == []


def test_untyped_search_by_url_finds_the_status(owner, api):
    """Clients search without `type` for a pasted link (the web URL or the ActivityPub id)."""
    status = post_status(owner, f"findable untyped {secrets.token_hex(3)}")
    for url in (status["url"], status["uri"]):
        assert status_ids(anonymous_search(api, url)) == [status["id"]], url
        assert status_ids(search(owner, url, resolve="true")) == [status["id"]], url


@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_anonymous_search_by_url_hides_non_public_statuses(owner, api, visibility):
    status = post_status(owner, f"hidden {secrets.token_hex(3)}", visibility=visibility)
    assert status_ids(anonymous_search(api, status["uri"], type="statuses")) == []
    if status["url"]:
        assert status_ids(anonymous_search(api, status["url"], type="statuses")) == []


def test_signed_in_search_by_url_with_resolve(owner, base_url, me):
    """What Elk, Phanpy and the official apps send for a pasted post link."""
    for visibility in ("public", "private"):
        status = post_status(owner, f"resolve me {secrets.token_hex(3)}", visibility=visibility)
        for url in (status["uri"], status["url"]):
            if url is None:
                continue
            result = search(owner, url, type="statuses", resolve="true")
            assert status_ids(result) == [status["id"]], (visibility, url)
            check_status(result["statuses"][0], base_url, owner_id=me["id"])


def test_url_of_another_server_finds_nothing_without_federation(owner):
    assert search(owner, "https://elsewhere.example/@bob/1")["statuses"] == []


# -- hashtags -------------------------------------------------------------------------------------


def test_hashtags_by_prefix(owner, base_url):
    name = unique("prefixed")
    post_status(owner, f"#{name}")
    for q in (name[:-3], "#" + name[:-3], name, name.upper()):
        result = search(owner, q, type="hashtags")
        found = [t for t in result["hashtags"] if t["name"].lower() == name]
        assert len(found) == 1, f"{q!r}: {result['hashtags']}"
        tag = found[0]
        assert tag["url"] == f"{base_url}/tags/{name}"
        assert len(tag["history"]) == 7 and all(isinstance(h["uses"], str) for h in tag["history"])
        assert result["accounts"] == [] and result["statuses"] == []


def test_hashtags_anonymously(owner, api):
    name = unique("anonfind")
    post_status(owner, f"#{name}")
    assert name in [t["name"].lower() for t in anonymous_search(api, name)["hashtags"]]


def test_hashtag_prefix_does_not_match_the_middle(owner):
    name = unique("middle")
    post_status(owner, f"#{name}")
    assert name not in [t["name"].lower() for t in search(owner, name[3:], type="hashtags")["hashtags"]]


# -- accounts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["ali", "alice", "@alice", "ALI"])
def test_accounts_by_username_prefix(owner, me, q):
    result = search(owner, q, type="accounts")
    assert account_ids(result) == [me["id"]], q
    account = result["accounts"][0]
    assert (account["username"], account["acct"]) == (USERNAME, USERNAME)
    assert result["statuses"] == [] and result["hashtags"] == []


@pytest.mark.parametrize("form", ["@{user}@{host}", "{user}@{host}"])
def test_accounts_by_full_handle(owner, api, me, server, form):
    q = form.format(user=USERNAME, host=server.host)
    assert account_ids(search(owner, q)) == [me["id"]], q
    assert account_ids(anonymous_search(api, q)) == [me["id"]], q


def test_handle_of_another_server_finds_nothing_without_federation(owner):
    assert search(owner, "@alice@elsewhere.example", type="accounts")["accounts"] == []


def test_unknown_account_prefix_finds_nothing(owner):
    assert search(owner, unique("nobody"), type="accounts")["accounts"] == []


def test_accounts_anonymously(api, me):
    assert account_ids(anonymous_search(api, "ali", type="accounts")) == [me["id"]]


def test_untyped_search_finds_the_account(owner, me):
    assert me["id"] in account_ids(search(owner, "alice"))


# -- parameters and authentication --------------------------------------------------------------


def test_missing_q_is_400(api, owner):
    expect_error(api.get("/api/v2/search", token=None), 400)
    expect_error(owner.get("/api/v2/search"), 400)
    expect_error(owner.get("/api/v2/search", params={"type": "accounts"}), 400)


LONG_QUERIES = {
    "sentence": "what was that post about the long walk along the river last sunday afternoon",
    "long word": "x" * 120,
}


@pytest.mark.parametrize("kind", list(LONG_QUERIES))
def test_long_queries_are_answered(owner, api, kind):
    """Clients send whatever the user typed or pasted; a long query finds nothing, it is no error."""
    q = LONG_QUERIES[kind]
    for params in ({}, {"type": "accounts"}, {"type": "hashtags"}, {"type": "statuses"}):
        assert search(owner, q, **params)["accounts"] == [], params
        assert anonymous_search(api, q, **params)["accounts"] == [], params
    assert expect_ok(owner.get("/api/v1/accounts/search", params={"q": q})) == []


def test_long_status_url_is_answered(owner, api):
    """A pasted post URL without '@' (the ActivityPub id) is longer than D1's LIKE pattern limit."""
    status = post_status(owner, f"long url {secrets.token_hex(3)}")
    long_url = status["uri"] + "?" + "x" * 80
    for params in ({}, {"type": "accounts"}):
        assert search(owner, long_url, **params)["accounts"] == []
        assert anonymous_search(api, long_url, **params)["accounts"] == []


def test_anonymous_offset_is_401(api):
    """Mastodon: 'Search queries pagination is not supported without authentication'."""
    expect_error(api.get("/api/v2/search", params={"q": "alice", "offset": 1}, token=None), 401)
    expect_error(api.get("/api/v2/search", params={"q": "alice", "type": "accounts", "offset": 5}, token=None), 401)


def test_anonymous_resolve_is_401(api):
    """Mastodon: 'Search queries that resolve remote resources are not supported without
    authentication' (Api::V2::SearchController#remote_resolve_error)."""
    expect_error(api.get("/api/v2/search", params={"q": "alice", "resolve": "true"}, token=None), 401)


def test_search_with_a_token_of_other_scopes_is_403(api, make_token):
    expect_error(api.get("/api/v2/search", params={"q": "alice"}, token=make_token("write")), 403)


def test_search_with_read_search_scope(api, make_token, me):
    result = expect_ok(api.get("/api/v2/search", params={"q": "alice", "type": "accounts"},
                               token=make_token("read:search")))
    assert [a["id"] for a in result["accounts"]] == [me["id"]]


# -- /api/v1/accounts/search ------------------------------------------------------------------


@pytest.mark.parametrize("q", ["ali", "alice", "@alice"])
def test_v1_account_search(owner, me, q):
    accounts = expect_ok(owner.get("/api/v1/accounts/search", params={"q": q}))
    assert [a["id"] for a in accounts] == [me["id"]]
    assert accounts[0]["acct"] == USERNAME


def test_v1_account_search_by_handle(owner, me, server):
    accounts = expect_ok(owner.get("/api/v1/accounts/search", params={"q": f"{USERNAME}@{server.host}"}))
    assert [a["id"] for a in accounts] == [me["id"]]


def test_v1_account_search_without_match(owner):
    assert expect_ok(owner.get("/api/v1/accounts/search", params={"q": unique("nobody")})) == []


def test_v1_account_search_needs_a_token(api):
    """Mastodon: Api::V1::Accounts::SearchController has doorkeeper_authorize! :read and require_user!."""
    expect_error(api.get("/api/v1/accounts/search", params={"q": "ali"}, token=None), 401)
