"""Statuses: posting, reading, context, deleting and editing
(docs.joinmastodon.org/methods/statuses; CLIENT-COMPAT §2.1 Idempotency-Key, §2.3 Status and content HTML).

Only the owner exists locally, so every status here is alice's own."""

import re
import secrets
from datetime import datetime, timezone
from urllib.parse import quote, unquote

import pytest
from bs4 import BeautifulSoup

from client import describe, expect_error, expect_ok
from helpers import check_status, own_account, post_status, unique
from settings import USERNAME

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
VISIBILITIES = ("public", "unlisted", "private", "direct")


def statuses_count(owner) -> int:
    return own_account(owner)["statuses_count"]


def get_status(session, status_id, **kwargs):
    return expect_ok(session.get(f"/api/v1/statuses/{status_id}", **kwargs))


def text_of(html):
    return BeautifulSoup(html, "html.parser").get_text()


# -- POST /api/v1/statuses: the entity ------------------------------------------------------------


def test_post_returns_a_complete_status_of_the_owner(owner, me, base_url):
    text = unique("Hello from the e2e suite ")
    status = post_status(owner, text)
    check_status(status, base_url, owner_id=me["id"])
    assert status["content"] == f"<p>{text}</p>"
    assert status["visibility"] == "public"
    assert status["spoiler_text"] == ""
    assert status["reblog"] is None and status["card"] is None and status["poll"] is None
    assert status["in_reply_to_id"] is None and status["in_reply_to_account_id"] is None
    assert status["mentions"] == [] and status["tags"] == [] and status["emojis"] == []
    assert (status["replies_count"], status["reblogs_count"], status["favourites_count"]) == (0, 0, 0)
    assert (status["favourited"], status["reblogged"], status["bookmarked"], status["muted"], status["pinned"]) == (
        False, False, False, False, False)
    assert status["edited_at"] is None
    assert status["account"]["id"] == me["id"] and status["account"]["url"] == f"{base_url}/@{USERNAME}"
    assert status["url"] is not None, "a local public status has a web URL"
    application = status.get("application")
    if application is not None:  # Mastodon shows the posting app to the author
        assert application["name"] == "e2e app", application

    fetched = get_status(owner, status["id"])
    check_status(fetched, base_url, owner_id=me["id"])
    for key in ("id", "uri", "url", "created_at", "content", "visibility", "spoiler_text", "sensitive", "language"):
        assert fetched[key] == status[key], key


def test_ids_are_increasing_snowflakes_and_created_at_is_now(owner):
    first = post_status(owner, unique("first "))
    second = post_status(owner, unique("second "))
    assert int(second["id"]) > int(first["id"]), "ids must sort by creation time (timelines page by id)"
    created = datetime.strptime(second["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - created).total_seconds()) < 300, second["created_at"]


def test_post_with_json_body(owner, base_url, me):
    resp = owner.post("/api/v1/statuses", json={
        "status": "Posted as JSON", "visibility": "unlisted", "spoiler_text": "a warning",
        "sensitive": True, "language": "fi"})
    status = expect_ok(resp)
    check_status(status, base_url, owner_id=me["id"])
    assert status["content"] == "<p>Posted as JSON</p>"
    assert (status["visibility"], status["spoiler_text"], status["sensitive"], status["language"]) == (
        "unlisted", "a warning", True, "fi")


def test_post_with_multipart_body(owner):
    resp = owner.post("/api/v1/statuses", files={
        "status": (None, "Posted as multipart"), "visibility": (None, "private"), "language": (None, "de")})
    status = expect_ok(resp)
    assert status["content"] == "<p>Posted as multipart</p>"
    assert (status["visibility"], status["language"]) == ("private", "de")


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_visibility_is_stored(owner, visibility):
    status = post_status(owner, unique(f"visibility {visibility} "), visibility=visibility)
    assert status["visibility"] == visibility
    assert get_status(owner, status["id"])["visibility"] == visibility


def test_default_visibility_comes_from_the_owner_preferences(owner):
    def set_privacy(privacy):
        expect_ok(owner.patch("/api/v1/accounts/update_credentials", data={"source[privacy]": privacy}))

    try:
        for privacy in ("unlisted", "private", "public"):
            set_privacy(privacy)
            status = post_status(owner, unique(f"default {privacy} "), visibility=None)
            assert status["visibility"] == privacy, f"default privacy {privacy}: {status['visibility']}"
    finally:
        set_privacy("public")


SENSITIVE_ENCODINGS = {
    "form 1/0": ("data", "1", "0"),
    "form true/false": ("data", "true", "false"),
    "json booleans": ("json", True, False),
    "multipart 1/0": ("files", "1", "0"),
}


@pytest.mark.parametrize("encoding", list(SENSITIVE_ENCODINGS))
def test_sensitive_flag_accepts_every_client_encoding(owner, encoding):
    kind, yes, no = SENSITIVE_ENCODINGS[encoding]
    for value, expected in ((yes, True), (no, False)):
        body = {"status": unique(f"sensitive {value} "), "visibility": "public", "sensitive": value}
        if kind == "files":
            body = {k: (None, v) for k, v in body.items()}
        status = expect_ok(owner.post("/api/v1/statuses", **{kind: body}))
        assert status["sensitive"] is expected, f"{encoding}: sensitive={value!r} -> {status['sensitive']!r}"


def test_spoiler_text_marks_the_status_sensitive(owner):
    """Mastodon (PostStatusService): a content warning always makes the status sensitive."""
    status = post_status(owner, "behind a warning", spoiler_text="CW: spoilers")
    assert status["spoiler_text"] == "CW: spoilers"
    assert status["sensitive"] is True
    assert status["content"] == "<p>behind a warning</p>"


def test_spoiler_text_is_plain_text(owner):
    """spoiler_text is returned as typed (clients escape it); only content is HTML."""
    status = post_status(owner, "body", spoiler_text="<b>CW</b> & co")
    assert status["spoiler_text"] == "<b>CW</b> & co"


def test_posting_updates_the_account(owner):
    before = own_account(owner)
    post_status(owner, unique("counted "))
    after = own_account(owner)
    assert after["statuses_count"] == before["statuses_count"] + 1
    assert after["last_status_at"] == datetime.now(timezone.utc).strftime("%Y-%m-%d"), (
        "last_status_at is the UTC date of the newest status")


@pytest.mark.parametrize("language", ["fi", "de", "en"])
def test_language_is_stored(owner, language):
    status = post_status(owner, unique("kieli "), language=language)
    assert status["language"] == language
    assert get_status(owner, status["id"])["language"] == language


# -- replies --------------------------------------------------------------------------------------


def test_reply_to_own_status(owner, me, base_url):
    parent = post_status(owner, unique("parent "))
    reply = post_status(owner, unique("reply "), in_reply_to_id=parent["id"])
    check_status(reply, base_url, owner_id=me["id"])
    assert reply["in_reply_to_id"] == parent["id"]
    assert reply["in_reply_to_account_id"] == me["id"]
    assert get_status(owner, parent["id"])["replies_count"] == 1
    assert get_status(owner, reply["id"])["in_reply_to_id"] == parent["id"]

    expect_ok(owner.delete(f"/api/v1/statuses/{reply['id']}"))
    assert get_status(owner, parent["id"])["replies_count"] == 0, "deleting the reply decrements replies_count"


def test_reply_with_json_body(owner, me):
    parent = post_status(owner, unique("json parent "))
    reply = expect_ok(owner.post("/api/v1/statuses", json={
        "status": "json reply", "in_reply_to_id": parent["id"], "visibility": "public"}))
    assert (reply["in_reply_to_id"], reply["in_reply_to_account_id"]) == (parent["id"], me["id"])


# -- Idempotency-Key -----------------------------------------------------------------------------


def test_idempotency_key_creates_one_status(owner):
    before = statuses_count(owner)
    key = secrets.token_hex(16)
    text = unique("idempotent ")
    first = post_status(owner, text, headers={"Idempotency-Key": key})
    second = post_status(owner, text, headers={"Idempotency-Key": key})
    assert second["id"] == first["id"], "the same Idempotency-Key must return the same status"
    third = post_status(owner, text + " (retried with another body)", headers={"Idempotency-Key": key})
    assert third["id"] == first["id"] and third["content"] == first["content"]
    assert statuses_count(owner) == before + 1, "only one status may be created"

    other = post_status(owner, text, headers={"Idempotency-Key": secrets.token_hex(16)})
    assert other["id"] != first["id"], "another key is another status"
    assert statuses_count(owner) == before + 2


def test_idempotency_key_also_works_with_json(owner):
    key = secrets.token_hex(16)
    body = {"status": unique("idempotent json "), "visibility": "public"}
    first = expect_ok(owner.post("/api/v1/statuses", json=body, headers={"Idempotency-Key": key}))
    second = expect_ok(owner.post("/api/v1/statuses", json=body, headers={"Idempotency-Key": key}))
    assert first["id"] == second["id"]


# -- content HTML (CLIENT-COMPAT §2.3) ------------------------------------------------------------


def test_hashtag_is_linked_and_listed(owner, base_url):
    tag = unique()
    status = post_status(owner, f"Tagged #{tag} here")
    assert status["content"] == (
        f'<p>Tagged <a href="{base_url}/tags/{tag}" class="mention hashtag" rel="tag">#<span>{tag}</span></a> here</p>')
    assert status["tags"] == [{"name": tag, "url": f"{base_url}/tags/{tag}"}]


def test_repeated_hashtag_is_listed_once(owner):
    tag = unique()
    status = post_status(owner, f"#{tag} and #{tag} and #{tag.upper()}")
    assert len(status["tags"]) == 1, status["tags"]
    assert status["tags"][0]["name"].lower() == tag
    assert status["content"].count('class="mention hashtag"') == 3, status["content"]


def test_several_hashtags(owner):
    tags = [unique("one"), unique("two")]
    status = post_status(owner, f"#{tags[0]} #{tags[1]}")
    assert sorted(t["name"] for t in status["tags"]) == sorted(tags)


def link_parts(anchor):
    """(class, text) of the three spans inside a rendered link."""
    spans = anchor.find_all("span", recursive=False)
    return [(" ".join(s.get("class") or []), s.get_text()) for s in spans]


def test_link_is_rendered_with_invisible_scheme(owner):
    url = f"https://example.com/topi/{secrets.token_hex(3)}"
    status = post_status(owner, f"Read {url} now")
    html = status["content"]
    assert html.startswith("<p>Read <a ") and html.endswith("</a> now</p>"), html
    soup = BeautifulSoup(html, "html.parser")
    (anchor,) = soup.find_all("a")
    assert anchor["href"] == url
    assert anchor.get("target") == "_blank", html
    assert {"nofollow", "noopener"} <= set(anchor.get("rel") or []), html
    assert anchor.get("translate") == "no", html
    assert link_parts(anchor) == [("invisible", "https://"), ("", url[len("https://"):]), ("invisible", "")], html
    assert text_of(html) == f"Read {url} now"
    assert status["card"] is None or isinstance(status["card"], dict)


def test_long_link_is_cut_with_an_ellipsis(owner):
    rest = "example.com/" + "a" * 50
    url = "https://" + rest
    status = post_status(owner, f"Long {url}")
    (anchor,) = BeautifulSoup(status["content"], "html.parser").find_all("a")
    assert anchor["href"] == url
    assert link_parts(anchor) == [("invisible", "https://"), ("ellipsis", rest[:30]), ("invisible", rest[30:])], (
        status["content"])


@pytest.mark.parametrize("handle", ["@{user}", "@{user}@{host}", "@{upper}"])
def test_mention_of_the_owner(owner, me, base_url, server, handle):
    written = handle.format(user=USERNAME, host=server.host, upper=USERNAME.upper())
    status = post_status(owner, f"Hi {written}!")
    assert status["content"] == (
        f'<p>Hi <span class="h-card" translate="no"><a href="{base_url}/@{USERNAME}" class="u-url mention">'
        f'@<span>{USERNAME}</span></a></span>!</p>')
    assert status["mentions"] == [{"id": me["id"], "username": USERNAME, "acct": USERNAME,
                                   "url": f"{base_url}/@{USERNAME}"}]


def test_mention_of_an_unknown_local_user_stays_text(owner):
    status = post_status(owner, "Hi @nobody_here")
    assert status["content"] == "<p>Hi @nobody_here</p>"
    assert status["mentions"] == []


def test_html_in_the_text_is_escaped(owner):
    status = post_status(owner, "<b>bold</b> & <script>alert(1)</script>")
    assert status["content"] == "<p>&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_quotes_survive_escaping(owner):
    text = """He said "hi" and it's fine"""
    status = post_status(owner, text)
    assert status["content"].startswith("<p>") and status["content"].endswith("</p>"), status["content"]
    assert text_of(status["content"]) == text


def test_trailing_punctuation_is_not_part_of_a_link(owner):
    status = post_status(owner, "See https://example.com/end.")
    (anchor,) = BeautifulSoup(status["content"], "html.parser").find_all("a")
    assert anchor["href"] == "https://example.com/end"
    assert status["content"].endswith("</a>.</p>"), status["content"]


def test_ampersand_in_a_link_is_escaped_in_html(owner):
    url = "https://example.com/search?a=1&b=2"
    status = post_status(owner, f"Query {url} end")
    assert "&amp;b=2" in status["content"] and "&b=2" not in status["content"].replace("&amp;", ""), status["content"]
    (anchor,) = BeautifulSoup(status["content"], "html.parser").find_all("a")
    assert anchor["href"] == url
    assert text_of(status["content"]) == f"Query {url} end"


def test_fragment_of_a_url_is_not_a_hashtag(owner):
    status = post_status(owner, "Jump to https://example.com/page#section now")
    assert status["tags"] == [], status["tags"]
    (anchor,) = BeautifulSoup(status["content"], "html.parser").find_all("a")
    assert anchor["href"] == "https://example.com/page#section"


def test_hashtag_in_parentheses(owner, base_url):
    tag = unique()
    status = post_status(owner, f"(#{tag})")
    assert status["content"] == (
        f'<p>(<a href="{base_url}/tags/{tag}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>)</p>')
    assert [t["name"] for t in status["tags"]] == [tag]


def test_non_ascii_hashtag(owner, api, base_url):
    """Tag URLs are percent-encoded like Rails' tag_url: Swift's URL(string:) rejects raw non-ASCII."""
    tag = "äänestys" + secrets.token_hex(3)
    status = post_status(owner, f"Vaalit #{tag}")
    assert [t["name"].lower() for t in status["tags"]] == [tag]
    url = status["tags"][0]["url"]
    assert url.isascii() and unquote(url).lower() == f"{base_url}/tags/{tag}", url
    (anchor,) = BeautifulSoup(status["content"], "html.parser").find_all("a")
    assert anchor["href"].isascii() and unquote(anchor["href"]).lower() == f"{base_url}/tags/{tag}", anchor
    assert anchor.get_text() == f"#{tag}"
    timeline = expect_ok(api.get(f"/api/v1/timelines/tag/{quote(tag)}", token=None))
    assert [s["id"] for s in timeline] == [status["id"]]


def test_windows_line_breaks_are_line_breaks(owner):
    status = post_status(owner, "first\r\nsecond")
    assert re.fullmatch(r"<p>first<br\s*/?>second</p>", status["content"]), status["content"]


def test_line_breaks_become_breaks_and_paragraphs(owner):
    status = post_status(owner, "one\ntwo\n\nthree")
    assert re.fullmatch(r"<p>one<br\s*/?>two</p><p>three</p>", status["content"]), status["content"]


# -- length limits -------------------------------------------------------------------------------


def test_instance_advertises_the_limits_the_tests_assume(api):
    statuses = expect_ok(api.get("/api/v2/instance", token=None))["configuration"]["statuses"]
    assert statuses["max_characters"] == 500
    assert statuses["characters_reserved_per_url"] == 23


@pytest.mark.parametrize("text", ["a" * 500, "ä" * 500, "🐘" * 500], ids=["ascii", "latin1", "emoji"])
def test_500_characters_are_accepted(owner, text):
    status = post_status(owner, text)
    assert text_of(status["content"]) == text


def test_501_characters_are_rejected(owner):
    before = statuses_count(owner)
    expect_error(owner.post("/api/v1/statuses", data={"status": "a" * 501, "visibility": "public"}), 422)
    assert statuses_count(owner) == before


def test_a_url_counts_as_23_characters(owner):
    url = "https://example.com/" + "u" * 200
    fits = "x" * (500 - 1 - 23) + " " + url
    status = post_status(owner, fits)
    assert len(fits) > 500 and text_of(status["content"]) == fits
    expect_error(owner.post("/api/v1/statuses", data={"status": "x" + fits, "visibility": "public"}), 422)


def test_spoiler_text_counts_towards_the_limit(owner):
    """Mastodon's StatusLengthValidator counts spoiler_text + text."""
    post_status(owner, "b" * 490, spoiler_text="w" * 10)
    expect_error(owner.post("/api/v1/statuses", data={
        "status": "b" * 491, "spoiler_text": "w" * 10, "visibility": "public"}), 422)


# -- POST errors ---------------------------------------------------------------------------------


BAD_POSTS = {
    "empty status": {"status": ""},
    "missing status": {"visibility": "public"},
    "whitespace only": {"status": "   \n  "},
    "invalid visibility": {"status": "bad visibility", "visibility": "everyone"},
}


@pytest.mark.parametrize("case", list(BAD_POSTS))
def test_invalid_post_is_422_and_creates_nothing(owner, case):
    before = statuses_count(owner)
    expect_error(owner.post("/api/v1/statuses", data=BAD_POSTS[case]), 422)
    assert statuses_count(owner) == before


@pytest.mark.parametrize("reply_to", ["999999999999999999", "abc"])
def test_reply_to_unknown_status_is_rejected(owner, reply_to):
    before = statuses_count(owner)
    expect_error(owner.post("/api/v1/statuses", data={"status": "orphan", "in_reply_to_id": reply_to}), 404, 422)
    assert statuses_count(owner) == before


@pytest.mark.parametrize("scope", ["read", "read write:favourites write:accounts"])
def test_post_without_write_statuses_scope_is_403(owner, make_token, api, scope):
    before = statuses_count(owner)
    expect_error(api.post("/api/v1/statuses", token=make_token(scope), data={"status": "not allowed"}), 403)
    assert statuses_count(owner) == before


def test_post_with_write_statuses_scope_is_allowed(make_token, api):
    status = expect_ok(api.post("/api/v1/statuses", token=make_token("write:statuses"),
                                data={"status": unique("granular scope "), "visibility": "public"}))
    assert status["account"]["username"] == USERNAME


@pytest.mark.parametrize("bearer", [None, "not-a-real-token"])
def test_post_without_valid_token_is_401(owner, api, bearer):
    before = statuses_count(owner)
    expect_error(api.post("/api/v1/statuses", token=bearer, data={"status": "anonymous"}), 401)
    assert statuses_count(owner) == before


# -- GET /api/v1/statuses/:id and ?id[]= ----------------------------------------------------------


@pytest.mark.parametrize("visibility", ["public", "unlisted"])
def test_anonymous_can_read_public_and_unlisted_statuses(owner, api, base_url, me, visibility):
    status = post_status(owner, unique(f"anonymous {visibility} "), visibility=visibility)
    fetched = get_status(api, status["id"], token=None)
    check_status(fetched, base_url, owner_id=me["id"], authenticated=False)
    assert fetched["content"] == status["content"] and fetched["visibility"] == visibility


@pytest.mark.parametrize("visibility", ["private", "direct"])
def test_anonymous_cannot_see_private_or_direct_statuses(owner, api, visibility):
    status = post_status(owner, unique(f"hidden {visibility} "), visibility=visibility)
    assert get_status(owner, status["id"])["id"] == status["id"], "the author sees it"
    for suffix in ("", "/context", "/favourited_by", "/reblogged_by", "/history"):
        expect_error(api.get(f"/api/v1/statuses/{status['id']}{suffix}", token=None), 404)


@pytest.mark.parametrize("status_id", ["999999999999999999", "99999999999999999999999999", "abc", "-1", "1.5"])
def test_unknown_or_malformed_status_id_is_404(api, owner, status_id):
    expect_error(api.get(f"/api/v1/statuses/{status_id}", token=None), 404)
    expect_error(owner.get(f"/api/v1/statuses/{status_id}"), 404)


def test_get_several_statuses_by_id(owner, api):
    a = post_status(owner, unique("multi a "))
    b = post_status(owner, unique("multi b "), visibility="unlisted")
    hidden = post_status(owner, unique("multi private "), visibility="private")
    query = [("id[]", a["id"]), ("id[]", b["id"]), ("id[]", hidden["id"]), ("id[]", "999999999999999999")]
    mine = expect_ok(owner.get("/api/v1/statuses", params=query))
    assert sorted(s["id"] for s in mine) == sorted([a["id"], b["id"], hidden["id"]])
    anonymous = expect_ok(api.get("/api/v1/statuses", params=query, token=None))
    assert sorted(s["id"] for s in anonymous) == sorted([a["id"], b["id"]]), "private statuses only for the author"


# -- context -------------------------------------------------------------------------------------


def ids(statuses):
    return [s["id"] for s in statuses]


def test_context_of_a_thread(owner, api):
    root = post_status(owner, unique("root "))
    child = post_status(owner, unique("child "), in_reply_to_id=root["id"])
    grandchild = post_status(owner, unique("grandchild "), in_reply_to_id=child["id"])
    sibling = post_status(owner, unique("second child "), in_reply_to_id=root["id"])

    def context(status, session=owner, **kw):
        body = expect_ok(session.get(f"/api/v1/statuses/{status['id']}/context", **kw))
        return ids(body["ancestors"]), ids(body["descendants"])

    # ancestors oldest first; descendants depth-first in thread order
    assert context(root) == ([], [child["id"], grandchild["id"], sibling["id"]])
    assert context(child) == ([root["id"]], [grandchild["id"]])
    assert context(grandchild) == ([root["id"], child["id"]], [])
    assert context(sibling) == ([root["id"]], [])
    assert context(root, api, token=None) == ([], [child["id"], grandchild["id"], sibling["id"]]), "anonymous"


def test_context_hides_private_replies_from_anonymous(owner, api):
    root = post_status(owner, unique("root with a private reply "))
    private = post_status(owner, unique("private reply "), in_reply_to_id=root["id"], visibility="private")
    public = post_status(owner, unique("public reply "), in_reply_to_id=root["id"])
    mine = expect_ok(owner.get(f"/api/v1/statuses/{root['id']}/context"))
    assert ids(mine["descendants"]) == [private["id"], public["id"]]
    theirs = expect_ok(api.get(f"/api/v1/statuses/{root['id']}/context", token=None))
    assert ids(theirs["descendants"]) == [public["id"]]
    expect_error(api.get(f"/api/v1/statuses/{private['id']}/context", token=None), 404)


def test_context_of_unknown_status_is_404(api):
    expect_error(api.get("/api/v1/statuses/999999999999999999/context", token=None), 404)


# -- DELETE --------------------------------------------------------------------------------------


def test_delete_returns_the_source_for_redrafting(owner, api, base_url):
    before = statuses_count(owner)
    text = "Redraft me #" + unique() + " & <keep> the source"
    status = post_status(owner, text, spoiler_text="cw", language="en")
    assert statuses_count(owner) == before + 1

    resp = owner.delete(f"/api/v1/statuses/{status['id']}")
    deleted = expect_ok(resp)
    assert deleted["id"] == status["id"]
    assert deleted["text"] == text, "DELETE returns the plain-text source (delete & redraft)"
    assert deleted["spoiler_text"] == "cw"
    assert deleted["visibility"] == "public"
    check_status({**deleted, "text": None}, base_url)

    expect_error(owner.get(f"/api/v1/statuses/{status['id']}"), 404)
    expect_error(api.get(f"/api/v1/statuses/{status['id']}", token=None), 404)
    expect_error(owner.delete(f"/api/v1/statuses/{status['id']}"), 404)
    assert statuses_count(owner) == before


def test_deleting_a_parent_keeps_its_replies(owner, api):
    root = post_status(owner, unique("doomed root "))
    child = post_status(owner, unique("surviving child "), in_reply_to_id=root["id"])
    expect_ok(owner.delete(f"/api/v1/statuses/{root['id']}"))
    survivor = get_status(api, child["id"], token=None)
    assert survivor["in_reply_to_id"] == root["id"], "Mastodon keeps in_reply_to_id of orphaned replies"
    context = expect_ok(api.get(f"/api/v1/statuses/{child['id']}/context", token=None))
    assert context == {"ancestors": [], "descendants": []}


def test_delete_with_a_form_body(owner):
    """Mastodon.py sends DELETE with a form body (delete_media)."""
    status = post_status(owner, unique("form delete "))
    deleted = expect_ok(owner.delete(f"/api/v1/statuses/{status['id']}", data={"delete_media": "1"}))
    assert deleted["id"] == status["id"]
    expect_error(owner.get(f"/api/v1/statuses/{status['id']}"), 404)


def test_delete_unknown_status_is_404(owner):
    expect_error(owner.delete("/api/v1/statuses/999999999999999999"), 404)


@pytest.mark.parametrize("scope, status_code", [(None, 401), ("read", 403)])
def test_delete_needs_write_scope(owner, api, make_token, scope, status_code):
    status = post_status(owner, unique("keep me "))
    bearer = make_token(scope) if scope else None
    expect_error(api.delete(f"/api/v1/statuses/{status['id']}", token=bearer), status_code)
    assert get_status(owner, status["id"])["id"] == status["id"], "the status must survive"


# -- PUT (edit), history, source -----------------------------------------------------------------


def test_edit_status_with_form_body(owner, base_url, me):
    old_tag, new_tag = unique("old"), unique("new")
    status = post_status(owner, f"Original #{old_tag}", language="en", sensitive="false")
    assert status["edited_at"] is None
    resp = owner.put(f"/api/v1/statuses/{status['id']}", data={
        "status": f"Edited #{new_tag}", "spoiler_text": "now with a warning", "sensitive": "true", "language": "fi"})
    edited = expect_ok(resp)
    check_status(edited, base_url, owner_id=me["id"])
    assert edited["id"] == status["id"] and edited["created_at"] == status["created_at"]
    assert TIMESTAMP.match(edited["edited_at"] or ""), edited["edited_at"]
    assert edited["edited_at"] >= edited["created_at"]
    assert text_of(edited["content"]) == f"Edited #{new_tag}"
    assert (edited["spoiler_text"], edited["sensitive"], edited["language"]) == ("now with a warning", True, "fi")
    assert [t["name"] for t in edited["tags"]] == [new_tag], "tags follow the new text"
    assert edited["visibility"] == status["visibility"]

    fetched = get_status(owner, status["id"])
    assert fetched["content"] == edited["content"] and fetched["edited_at"] == edited["edited_at"]


def test_edit_status_with_json_body(owner):
    status = post_status(owner, unique("json original "))
    edited = expect_ok(owner.put(f"/api/v1/statuses/{status['id']}", json={
        "status": "json edited", "sensitive": False, "spoiler_text": ""}))
    assert edited["content"] == "<p>json edited</p>"
    assert edited["edited_at"] is not None


def test_history_of_an_unedited_status_has_the_original(owner, api):
    status = post_status(owner, unique("never edited "))
    history = expect_ok(api.get(f"/api/v1/statuses/{status['id']}/history", token=None))
    assert len(history) == 1, history
    assert history[0]["content"] == status["content"]
    assert history[0]["created_at"] == status["created_at"]


def test_history_lists_versions_oldest_first(owner, api, me):
    status = post_status(owner, "version one", spoiler_text="", sensitive="false")
    expect_ok(owner.put(f"/api/v1/statuses/{status['id']}", data={"status": "version two"}))
    last = expect_ok(owner.put(f"/api/v1/statuses/{status['id']}", data={
        "status": "version three", "spoiler_text": "cw three", "sensitive": "true"}))
    history = expect_ok(owner.get(f"/api/v1/statuses/{status['id']}/history"))
    assert [h["content"] for h in history] == ["<p>version one</p>", "<p>version two</p>", "<p>version three</p>"]
    assert [h["spoiler_text"] for h in history] == ["", "", "cw three"]
    assert history[-1]["sensitive"] is True
    assert history[0]["created_at"] == status["created_at"], "the first version is the original"
    assert history[-1]["created_at"] == last["edited_at"], "the last version is the current one"
    created = [h["created_at"] for h in history]
    assert created == sorted(created)
    for version in history:
        assert TIMESTAMP.match(version["created_at"])
        assert version["account"]["id"] == me["id"]
        assert version["media_attachments"] == [] and version["emojis"] == []
    assert expect_ok(api.get(f"/api/v1/statuses/{status['id']}/history", token=None)) == history


def test_source_gives_the_plain_text(owner):
    text = "Source with #" + unique() + " & <b>markup</b> and https://example.com/x"
    status = post_status(owner, text, spoiler_text="cw source")
    source = expect_ok(owner.get(f"/api/v1/statuses/{status['id']}/source"))
    assert source == {"id": status["id"], "text": text, "spoiler_text": "cw source"}
    expect_ok(owner.put(f"/api/v1/statuses/{status['id']}", data={"status": "new source", "spoiler_text": ""}))
    assert expect_ok(owner.get(f"/api/v1/statuses/{status['id']}/source")) == {
        "id": status["id"], "text": "new source", "spoiler_text": ""}


def test_source_needs_a_token(owner, api):
    status = post_status(owner, unique("source anon "))
    expect_error(api.get(f"/api/v1/statuses/{status['id']}/source", token=None), 401)


INVALID_EDITS = {
    "empty status": {"status": ""},
    "over 500 characters": {"status": "e" * 501},
}


@pytest.mark.parametrize("case", list(INVALID_EDITS))
def test_invalid_edit_is_422_and_changes_nothing(owner, case):
    status = post_status(owner, unique("unchanged "))
    expect_error(owner.put(f"/api/v1/statuses/{status['id']}", data=INVALID_EDITS[case]), 422)
    after = get_status(owner, status["id"])
    assert after["content"] == status["content"] and after["edited_at"] is None


def test_edit_unknown_status_is_404(owner):
    expect_error(owner.put("/api/v1/statuses/999999999999999999", data={"status": "nope"}), 404)


@pytest.mark.parametrize("scope, status_code", [(None, 401), ("read", 403)])
def test_edit_needs_write_scope(owner, api, make_token, scope, status_code):
    status = post_status(owner, unique("not editable "))
    bearer = make_token(scope) if scope else None
    expect_error(api.put(f"/api/v1/statuses/{status['id']}", token=bearer, data={"status": "hijacked"}), status_code)
    assert get_status(owner, status["id"])["content"] == status["content"]


# -- browsers (Elk, Phanpy) post, edit and delete cross-origin ------------------------------------


@pytest.mark.parametrize("method, path, headers", [
    ("POST", "/api/v1/statuses", "authorization, content-type, idempotency-key"),
    ("PUT", "/api/v1/statuses/1", "authorization, content-type"),
    ("DELETE", "/api/v1/statuses/1", "authorization"),
    ("POST", "/api/v1/statuses/1/favourite", "authorization"),
])
def test_cors_preflight_for_status_writes(api, method, path, headers):
    resp = api.options(path, token=None, headers={
        "Origin": "https://elk.example", "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers})
    assert resp.status_code in (200, 204), describe(resp)
    assert resp.headers.get("Access-Control-Allow-Origin") == "*"
    methods = {m.strip().upper() for m in resp.headers.get("Access-Control-Allow-Methods", "").split(",")}
    assert method in methods or "*" in methods, dict(resp.headers)
    allowed = {h.strip().lower() for h in resp.headers.get("Access-Control-Allow-Headers", "").split(",")}
    assert {h.strip() for h in headers.split(",")} <= allowed or "*" in allowed, dict(resp.headers)
