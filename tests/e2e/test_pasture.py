"""fediverse-pasture's input catalogue against the real Worker (issue #14).

Every input set of `fediverse-pasture-inputs` (HTML tags, attachments, hashtags, mentions,
content warnings, languages, `inReplyTo`, `url`, object types, JSON-LD quirks…) is sent by
pasture's own sending actor (pasture_peer.py: its one-actor server on 127.0.0.1, its
`ActivityRunner`, bovine's HTTP signatures) to the `federation_server`'s owner, alice, who follows
that actor (the actor's Accept is sent for it: pasture's actor never answers a Follow). Each
input is one `Create(Note)` addressed to Public and alice, sent in catalogue order; the result is
read back the way a Mastodon client reads it: the owner's home timeline (only what is new since
the input before) and `GET /api/v1/statuses/:id`, through the `fed_owner` CheckedSession, so
every response is also checked against the OpenAPI schema.

One test per input (`test_input[SET-N]`); a set is sent once, the first time one of its inputs is
asked for. What is expected is what a Mastodon user sees (Mastodon's behaviour for the same input,
as fediverse-pasture records it for Mastodon 4.x), checked in the terms the user sees it:
- every shown post is the actor's, public, with content that is sanitized (Mastodon's allow-list of
  elements and attributes, http(s) links with rel=nofollow, nothing executable), whose visible text
  is the input's (scripts, styles and media elements dropped, their fallback text kept), with the
  formatting Mastodon keeps still there (bold, italics, lists, quotes, code, headings as bold);
- content warnings, sensitivity, attachments (their type and alt text), language, mentions,
  hashtags (Mastodon's normalisation), replies (eventually: the parent is fetched by a queued
  job), the post's `url` (the text/html link, as Mastodon picks it), and converted types (Article,
  Page, … shown as a title, summary and link);
- what Mastodon refuses (no id, no type, unsupported types) is not shown, and the inbox never
  answers 5xx.
Where Mastodon's answer depends on downloading the media (SVG, EPS, TIFF, missing files), either
of the types Mastodon may give is accepted.

Runtime: about a minute for the 0.3.0 catalogue (262 inputs) on top of the federation server's
start. `PASTURE_DUMP=FILE` writes every activity and result to FILE at the end (for diagnosis).
"""
from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

from client import describe
from helpers import wait_for
from pasture_peer import PastureActor, inputs_version, load_inputs, localize
from settings import USERNAME

INPUTS = load_inputs()
CASES = [(name, index) for name in sorted(INPUTS) for index in range(len(INPUTS[name].examples))]
PUBLIC = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
REPLY_TIMEOUT = 20  # seconds for the queued thread fetch to link a reply to its parent


def ok_json(resp, status: int = 200):
    assert resp.status_code == status, describe(resp)
    return resp.json_body


# -- the peer and what it sent --------------------------------------------------------------------


class Pasture:
    def __init__(self, server, api, peer: PastureActor, account_id: str):
        self.server, self.api, self.peer, self.account_id = server, api, peer, account_id
        self.alice = f"{server.url}/users/{USERNAME}"
        self.results: dict[str, list[dict]] = {}
        self.new_in_home: dict[str, list[dict]] = {}
        home = ok_json(api.get("/api/v1/timelines/home", params={"limit": 1}))
        self.last_id = home[0]["id"] if home else None

    def fetch(self, object_id: str) -> dict | None:
        """pasture's `fetch_activity`: the status of `object_id` among what is new at home."""
        params = {"limit": 40}
        if self.last_id:
            params["since_id"] = self.last_id
        new = ok_json(self.api.get("/api/v1/timelines/home", params=params))
        if new:
            self.last_id = max((s["id"] for s in new), key=int)
        self.new_in_home[object_id] = new
        for status in new:
            if status["uri"] == object_id:
                return ok_json(self.api.get(f"/api/v1/statuses/{status['id']}"))
        return None

    def entries(self, name: str) -> list[dict]:
        if name not in self.results:
            examples = [localize(example, self.peer.base) for example in INPUTS[name].examples]
            self.results[name] = self.peer.run(self.alice, examples, self.fetch)
        return self.results[name]

    def status(self, status_id: str) -> dict:
        return ok_json(self.api.get(f"/api/v1/statuses/{status_id}"))


@pytest.fixture(scope="module")
def pasture(federation_server, fed_owner, tmp_path_factory):
    with PastureActor(tmp_path_factory.mktemp("pasture")) as peer:
        found = ok_json(fed_owner.get("/api/v2/search", params={"q": "@" + peer.handle, "resolve": "true",
                                                                 "type": "accounts"}))
        matches = [a for a in found["accounts"] if a["acct"] == peer.handle]
        assert matches, f"@{peer.handle} did not resolve: {found!r}\n{federation_server.log_tail(15)}"
        account = matches[0]
        ok_json(fed_owner.post(f"/api/v1/accounts/{account['id']}/follow"))
        world = None
        try:
            follow = wait_for(lambda: peer.received("Follow"), 20, message="alice's Follow at pasture's actor")[-1]
            assert peer.accept(follow, f"{federation_server.url}/users/{USERNAME}/inbox") == 202

            def following():
                rels = ok_json(fed_owner.get("/api/v1/accounts/relationships", params={"id[]": account["id"]}))
                return rels[0]["following"]

            wait_for(following, 10, message="alice following pasture's actor")
            world = Pasture(federation_server, fed_owner, peer, account["id"])
            yield world
        finally:
            dump = os.environ.get("PASTURE_DUMP")
            if dump and world is not None:
                with open(dump, "w") as fp:
                    json.dump({"inputs": inputs_version(), "results": world.results, "home": world.new_in_home},
                              fp, indent=1)
            # Unfollow while the peer still listens, so that nothing is left to deliver to it.
            ok_json(fed_owner.post(f"/api/v1/accounts/{account['id']}/unfollow"))
            wait_for(lambda: peer.received("Undo"), 20, message="alice's Undo at pasture's actor")


# -- what a Mastodon user sees --------------------------------------------------------------------

# Mastodon's sanitizer (MASTODON_STRICT, 4.3+): these elements and attributes, links of these schemes.
ALLOWED_ELEMENTS = {"p", "br", "span", "a", "abbr", "del", "s", "pre", "blockquote", "code", "b", "strong", "u",
                    "i", "em", "ul", "ol", "li", "ruby", "rt", "rp"}
ALLOWED_ATTRIBUTES = {"a": {"href", "rel", "class", "target", "translate"}, "span": {"class", "translate"},
                      "ol": {"start", "reversed"}, "li": {"value"}, "p": {"class"}, "abbr": {"title"}}
LINK_SCHEMES = {"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"}
# Removed with their content (Sanitize's defaults, which Mastodon inherits); media have no text.
DROPPED = ["script", "style", "iframe", "svg", "math", "noscript", "noembed", "noframes", "plaintext", "xmp",
           "template"]
# Formatting Mastodon keeps: an input using it must still show it (headings become <strong>).
KEPT = {"b", "strong", "i", "em", "del", "code", "pre", "blockquote", "p", "ol", "ul", "li", "br", "a"}


def soup(html: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)  # a post that is only a link
        return BeautifulSoup(html, "html.parser")


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def visible(html: str | None) -> str:
    """The text a reader sees, whitespace collapsed."""
    tree = soup(html or "")
    for element in tree.find_all(DROPPED):
        element.decompose()
    return " ".join(tree.get_text().split())


def assert_sanitized(html: str, where: str) -> None:
    assert "<script" not in html.lower(), f"{where}: {html!r}"
    for element in soup(html).find_all(True):
        assert element.name in ALLOWED_ELEMENTS, f"{where}: <{element.name}> is not in Mastodon's allow-list: {html!r}"
        allowed = ALLOWED_ATTRIBUTES.get(element.name, set()) | {"lang"}
        extra = set(element.attrs) - allowed
        assert not extra, f"{where}: attributes {sorted(extra)} on <{element.name}>: {html!r}"
        if element.name == "a":
            href = element.get("href")
            assert href, f"{where}: a link without href: {html!r}"
            assert urlsplit(href).scheme in LINK_SCHEMES, f"{where}: link scheme of {href!r}"
            assert "nofollow" in (element.get("rel") or []), f"{where}: link without rel=nofollow: {html!r}"
        classes = element.get("class") or []
        for cls in classes:
            assert re.match(r"(h|p|u|dt|e)-", cls) or cls in {"mention", "hashtag", "ellipsis", "invisible",
                                                              "quote-inline"}, f"{where}: class {cls!r}"


@dataclass
class Case:
    name: str
    index: int
    example: dict  # the input, with pasture's host replaced by the peer's
    entry: dict
    world: Pasture

    @property
    def status(self) -> dict | None:
        return self.entry["result"]

    @property
    def object(self) -> dict:
        return self.entry["activity"]["object"]

    @property
    def where(self) -> str:
        shown = json.dumps(self.example, ensure_ascii=False)
        return f"{self.name}[{self.index}] {shown[:300]}"

    def shown(self) -> dict:
        """The status, which must be in the owner's home timeline."""
        status, answer = self.status, self.entry["inbox"]
        assert status is not None, (f"{self.where}: not shown in the home timeline (inbox answered {answer}); "
                                    f"new at home: {[s['uri'] for s in self.world.new_in_home.get(self.entry['object_id'], [])]}"
                                    f"\n{self.world.server.log_tail(8)}")
        return status

    def not_shown(self) -> None:
        status = self.status
        assert status is None, f"{self.where}: Mastodon does not show this, Topi shows {status['content']!r}"
        others = [s["uri"] for s in self.world.new_in_home.get(self.entry["object_id"], [])
                  if s["account"]["id"] == self.world.account_id]
        assert not others, f"{self.where}: shown under another id: {others}"


def check_common(case: Case) -> None:
    """What holds for every input: the inbox never fails, and a shown post is the actor's, public,
    sanitized, with well-formed attachments, tags and mentions."""
    status_code, body = case.entry["inbox"]
    assert status_code is not None and status_code < 500, f"{case.where}: the inbox answered {status_code} {body!r}"
    status = case.status
    if status is None:
        return
    where, peer = case.where, case.world.peer
    assert status["uri"] == case.entry["object_id"], where
    assert status["account"]["acct"] == peer.handle and status["account"]["id"] == case.world.account_id, (
        f"{where}: account {status['account']['acct']!r}")
    assert status["visibility"] == "public", f"{where}: visibility {status['visibility']!r}"
    assert status["reblog"] is None, where
    assert_sanitized(status["content"], f"{where}: content")
    assert isinstance(status["sensitive"], bool), where
    if status["url"] is not None:
        assert urlsplit(status["url"]).scheme in ("http", "https"), f"{where}: url {status['url']!r}"
    for media in status["media_attachments"]:
        assert media["type"] in {"image", "gifv", "video", "audio", "unknown"}, (where, media)
        for key in ("url", "remote_url"):
            if media.get(key):
                assert urlsplit(media[key]).scheme in ("http", "https"), (where, key, media)
        if media["type"] in ("image", "gifv"):
            assert media["preview_url"], (where, media)
    base = case.world.server.url
    for tag in status["tags"]:
        assert tag["name"] and not tag["name"].startswith("#"), (where, tag)
        assert tag["url"].startswith(base + "/tags/"), (where, tag)
    for mention in status["mentions"]:
        assert {"id", "username", "acct", "url"} <= set(mention), (where, mention)


def check_text(case: Case, status: dict, source: str | None) -> None:
    """The content shows the input's text and keeps the formatting Mastodon keeps."""
    where = case.where
    assert visible(status["content"]) == visible(source), (
        f"{where}: shows {visible(status['content'])!r} ({status['content']!r}), expected {visible(source)!r}")
    used = {element.name for element in soup(source or "").find_all(True)}
    shown = {element.name for element in soup(status["content"]).find_all(True)}
    for element in used & KEPT:
        assert element in shown, f"{where}: <{element}> was lost: {status['content']!r}"
    if used & {"h1", "h2", "h3", "h4", "h5", "h6"}:
        assert "strong" in shown, f"{where}: a heading should become bold: {status['content']!r}"
    if "s" in used:
        assert shown & {"s", "del"}, f"{where}: strike-through was lost: {status['content']!r}"
    if "a" in used:
        want = [a.get("href") for a in soup(source).find_all("a")]
        got = [a.get("href") for a in soup(status["content"]).find_all("a")]
        assert got == want, f"{where}: links {got} instead of {want}"


def check_cw(case: Case, status: dict, summary: str | None) -> None:
    """A summary is a content warning: the post is collapsed behind it, showing its text."""
    where = case.where
    if summary:
        assert status["spoiler_text"].strip(), (
            f"{where}: the summary {summary!r} is no content warning here (spoiler_text empty, sensitive="
            f"{status['sensitive']}); Mastodon shows it as the warning's text")
        # Mastodon shows the summary's markup as text; the words must be there either way.
        assert squeezed(visible(summary)) in squeezed(status["spoiler_text"]), (
            f"{where}: spoiler_text {status['spoiler_text']!r} does not show {visible(summary)!r}")
    else:
        assert status["spoiler_text"] == "", f"{where}: spoiler_text {status['spoiler_text']!r}"


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def only_media(case: Case, status: dict, kinds: set[str], description=..., count: int = 1) -> dict | None:
    media = status["media_attachments"]
    assert len(media) == count, f"{case.where}: {len(media)} attachments: {media}"
    if not count:
        return None
    first = media[0]
    assert first["type"] in kinds, f"{case.where}: type {first['type']!r}, expected one of {sorted(kinds)}"
    if description is not ...:
        assert first["description"] == description, f"{case.where}: description {first['description']!r}"
    return first


# -- the sets -------------------------------------------------------------------------------------


def expect_attachments(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    attachments = as_list(case.example.get("attachment"))
    first = attachments[0]
    if len(attachments) > 4:  # ten images without type: Mastodon shows the first of them (4, or up to 16)
        media = status["media_attachments"]
        assert 4 <= len(media) <= 10 and all(m["type"] == "image" for m in media), (case.where, media)
        assert media[0]["url"] == first["url"], (case.where, media[0])
        return
    if "url" not in first or first.get("type") in ("Link", "Note") or "@type" in first:
        # a Link, a payment link, a Note, a schema.org Recipe, an `href` instead of `url`: no media
        only_media(case, status, set(), count=0)
        return
    kind = {"Image": {"image"}, "Video": {"video"}, "Audio": {"audio"}}.get(first["type"])
    if first.get("mediaType", "").startswith("audio/"):
        kind = {"audio"}
    media = only_media(case, status, kind or {"unknown"}, description=first.get("name"))
    assert media["url"] == first["url"] or media["remote_url"] == first["url"], (case.where, media)


def expect_attributed_to(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])


def expect_content_warnings(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    check_cw(case, status, case.example.get("summary"))
    wanted = bool(case.example.get("sensitive"))  # an attachment's own `sensitive` means nothing to Mastodon
    if case.example.get("summary"):
        wanted = wanted or status["sensitive"]  # Mastodon keeps false, the warning hides it all the same
    assert status["sensitive"] == wanted, f"{case.where}: sensitive {status['sensitive']}"
    attachment = case.example.get("attachment")
    if attachment:
        only_media(case, status, {"image"}, description=attachment.get("summary") or attachment.get("name"))


def expect_context(case: Case) -> None:
    status = case.shown()  # Mastodon reads activities as plain JSON: any @context, or none, will do
    check_text(case, status, case.example["content"])


def mastodon_hashtag(name: str) -> str:
    """Mastodon's HashtagNormalizer: the name without '#', only letters, digits and separators."""
    return "".join(c for c in name.removeprefix("#") if c.isalnum() or c in "_\u00b7\u30fb\u200c")


def expect_hashtags(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    tag = as_list(case.example["tag"])[0]
    names = [t["name"] for t in status["tags"]]
    if tag.get("type") != "Hashtag":
        # `as:Hashtag` or no type: Mastodon reads JSON, not JSON-LD, and drops the tag; a JSON-LD
        # reader would keep it. Either is right; a tag shown must be the right one.
        assert names in ([], ["test"]), f"{case.where}: tags {names}"
        return
    expected = mastodon_hashtag(tag["name"])
    if not expected or expected.isdigit():  # emoji only, digits only: not a hashtag for Mastodon
        assert names == [], f"{case.where}: tags {names}"
    else:
        # (Mastodon may show the name in another case; the user sees the same tag)
        assert [n.casefold() for n in names] == [expected.casefold()], (
            f"{case.where}: tags {names}, Mastodon shows [{expected!r}]")
        assert unquote(status["tags"][0]["url"]).lower() == f"{case.world.server.url}/tags/{expected}".lower(), (
            case.where, status["tags"][0])


def expect_html_content(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    check_cw(case, status, None)


def expect_html_article(case: Case) -> None:
    # Mastodon shows an Article as its title (none here) and a link to it, not its content.
    status = case.shown()
    text = visible(status["content"])
    assert case.object["id"] in text, f"{case.where}: no link to the article: {status['content']!r}"
    for a in soup(status["content"]).find_all("a"):
        assert a["href"] in (case.object["id"], case.object.get("url")), (case.where, a)


def expect_html_summary(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    check_cw(case, status, case.example["summary"])


def expect_image_attachments(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    attachment = as_list(case.example["attachment"])[0]
    url = attachment["url"]
    if isinstance(url, str) and url.startswith("data:"):
        only_media(case, status, set(), count=0)  # an inline data: URL is no remote file
        return
    href = url if isinstance(url, str) else as_list(url)[0]["href"]
    # What Mastodon makes of SVG, EPS, TIFF or a missing file depends on downloading it.
    doubtful = href.endswith((".svg", ".eps", ".tiff")) or "does_not_exist" in href
    media = only_media(case, status, {"image", "unknown"} if doubtful else {"image"})
    assert href in (media["url"], media["remote_url"]), (case.where, media)


def expect_image_description(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    attachment = as_list(case.example["attachment"])[0]
    # Mastodon's alt text: the attachment's summary, else its name.
    only_media(case, status, {"image"}, description=attachment.get("summary") or attachment.get("name"))


def expect_in_reply_to(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    reply_to = case.example["inReplyTo"]
    note1 = f"{case.world.peer.base}/assets/note1.jsonap"
    # Mastodon follows a string or an embedded object's id; a Link, a list or a Collection is no
    # reply to it (a list is not even shown). Showing them, and as replies, is no worse.
    if reply_to == note1 or (isinstance(reply_to, dict) and reply_to.get("id") == note1):
        def linked():
            current = case.world.status(status["id"])
            return current if current["in_reply_to_id"] else None

        current = wait_for(linked, REPLY_TIMEOUT, message=f"{case.where}: in_reply_to_id set")
        parent = case.world.status(current["in_reply_to_id"])
        assert parent["uri"] == note1 and visible(parent["content"]) == "One", (case.where, parent)
        assert current["in_reply_to_account_id"] == case.world.account_id, (case.where, current)
        context = ok_json(case.world.api.get(f"/api/v1/statuses/{status['id']}/context"))
        assert [s["uri"] for s in context["ancestors"]] == [note1], (case.where, context)
    elif isinstance(reply_to, str):  # a parent that does not exist
        assert status["in_reply_to_id"] is None, (case.where, status["in_reply_to_id"])


def expect_language(case: Case) -> None:
    status = case.shown()
    content_map = case.example.get("contentMap") or {}
    source = case.example.get("content") or next(iter(content_map.values()))
    check_text(case, status, source)
    expected = next(iter(content_map), None)  # Mastodon: the map's first language
    assert status["language"] == expected, f"{case.where}: language {status['language']!r}, expected {expected!r}"


def expect_mentions(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    peer = case.world.peer
    tags = as_list(case.example["tag"])
    mentioned = [m["acct"] for m in status["mentions"]]
    if all(t.get("href") == peer.actor_id for t in tags):
        if all(t.get("type") == "Mention" for t in tags):
            assert mentioned == [peer.handle], f"{case.where}: mentions {mentioned}"  # once, whatever the name
            assert status["mentions"][0]["id"] == case.world.account_id, (case.where, status["mentions"])
        else:  # `as:Mention` or no type: Mastodon (plain JSON) drops it; a JSON-LD reader keeps it
            assert mentioned in ([], [peer.handle]), f"{case.where}: mentions {mentioned}"
    else:  # actors that cannot be looked up from here
        assert mentioned == [], f"{case.where}: mentions {mentioned}"


def expect_necessary_properties(case: Case) -> None:
    missing = [k for k, v in case.example.items() if v is None]
    if set(missing) & {"id", "type"}:
        case.not_shown()  # Mastodon needs the object's id and a type it knows
        return
    # Without `published` the post is dated when it arrives; without `attributedTo` Mastodon
    # takes the Create's actor (who signed it) as the author.
    status = case.shown()
    check_text(case, status, case.example["content"])


CONVERTED = {"Article", "Page", "Event", "Image", "Video", "Audio"}


def expect_object_types(case: Case) -> None:
    kind = case.example["type"]
    kinds = set(as_list(kind))
    if not kinds & ({"Note"} | CONVERTED):
        case.not_shown()  # Document, Place, Profile, Relationship, Tombstone, no type
        return
    status = case.shown()
    if kinds & {"Note"}:
        if kinds & CONVERTED and "content" not in visible(status["content"]):
            # [Note, Article]: Mastodon takes it as an Article (below); a Note is as good
            return expect_converted(case, status)
        check_text(case, status, case.example["content"])
        check_cw(case, status, case.example["summary"])
        return
    expect_converted(case, status)


def expect_converted(case: Case, status: dict) -> None:
    """Mastodon shows an Article, Page, Event, Image, Video or Audio as its name in bold, its
    summary as text (not a content warning) and a link to it; not its content."""
    where = case.where
    content = status["content"]
    assert [s.get_text() for s in soup(content).find_all("strong")][:1] == ["name"], f"{where}: title in {content!r}"
    text = visible(content)
    assert "summary" in text and case.object["id"] in text, f"{where}: {content!r}"
    assert status["spoiler_text"] == "", f"{where}: spoiler_text {status['spoiler_text']!r}"


def expect_public_addressing(case: Case) -> None:
    status = case.shown()  # all three spellings of Public mean public (checked for every post)
    check_text(case, status, case.example["content"])


def expect_quotes(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    quote = status.get("quote")
    if quote:  # a client that shows quotes must get the quoted post
        quoted = quote.get("quoted_status") or quote
        assert quoted.get("uri") == f"{case.world.peer.base}/assets/note1.jsonap", (case.where, quote)


def expect_recommended_attachments(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    attachment = case.example["attachment"][0]
    kind = {"Image": "image", "Video": "video", "Audio": "audio"}[attachment["type"]]
    media = only_media(case, status, {kind}, description=attachment["name"])
    url = attachment["url"] if isinstance(attachment["url"], str) else attachment["url"][0]["href"]
    assert url in (media["url"], media["remote_url"]), (case.where, media)
    if kind == "image":
        assert media["meta"]["original"]["width"] == attachment["width"], (case.where, media["meta"])
        assert media["meta"]["original"]["height"] == attachment["height"], (case.where, media["meta"])


def mastodon_url(value) -> str | None:
    """Mastodon's url_to_href(url, 'text/html'): the text/html Link of a list, else its first
    element; a Link's href."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, dict) and v.get("mediaType") == "text/html"),
                     value[0] if value else None)
    return value.get("href") if isinstance(value, dict) else value


def expect_url(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    expected = mastodon_url(case.example["url"])  # (Mastodon takes it from any host, as Topi does)
    assert status["url"] == expected, f"{case.where}: url {status['url']!r}, Mastodon shows {expected!r}"


def expect_emoji(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])  # the :shortcode: stays in the text
    emojis = {e["shortcode"]: e for e in status["emojis"]}
    tag = case.example["tag"][0]
    icon = tag.get("icon") if isinstance(tag, dict) else None
    if isinstance(icon, dict) and icon.get("url"):
        shortcode = tag["name"].strip(":")
        assert list(emojis) == [shortcode], f"{case.where}: emojis {status['emojis']}"
        assert emojis[shortcode]["url"] == icon["url"], (case.where, emojis[shortcode])
    elif isinstance(icon, str):  # Mastodon wants an Image with a url; a bare link is as clear
        assert list(emojis) in ([], [tag["name"].strip(":")]), f"{case.where}: emojis {status['emojis']}"
    else:  # no icon, or only the emoji's id: nothing to show
        assert emojis == {}, f"{case.where}: emojis {status['emojis']}"


def expect_html_base(case: Case) -> None:
    status = case.shown()
    check_text(case, status, case.example["content"])
    names = [t["name"].casefold() for t in status["tags"]]
    mentioned = [m["acct"] for m in status["mentions"]]
    kinds = {t["type"] for t in case.example.get("tag", [])}
    assert names == (["test"] if "Hashtag" in kinds else []), f"{case.where}: tags {names}"
    assert mentioned == ([case.world.peer.handle] if "Mention" in kinds else []), f"{case.where}: mentions {mentioned}"


def expect_media_type(case: Case) -> None:
    status = case.shown()
    source = case.example["content"]
    if case.example["mediaType"] == "text/html":
        check_text(case, status, source)
    else:  # Mastodon reads a Note's content as HTML whatever it says; showing it as text is as right
        assert visible(status["content"]) in (visible(source), source), (
            f"{case.where}: shows {status['content']!r}")


def expect_generic(case: Case) -> None:
    """Input sets newer than this file: shown, with the input's text."""
    status = case.shown()
    source = case.example.get("content")
    if source is not None and case.example.get("type", "Note") == "Note":
        check_text(case, status, source)


EXPECT = {
    "attachments": expect_attachments,
    "attributed_to": expect_attributed_to,
    "content_warnings": expect_content_warnings,
    "emoji": expect_emoji,
    "context": expect_context,
    "hashtag_jsonld": expect_hashtags,
    "hashtags": expect_hashtags,
    "html_anchor": expect_html_content,
    "html_bad": expect_html_content,
    "html_tags": expect_html_content,
    "html_tags_article": expect_html_article,
    "html_tags_base": expect_html_base,
    "html_tags_extra": expect_html_content,
    "html_tags_summary": expect_html_summary,
    "image_attachments": expect_image_attachments,
    "image_description": expect_image_description,
    "in_reply_to": expect_in_reply_to,
    "language": expect_language,
    "media_type": expect_media_type,
    "mentions": expect_mentions,
    "necessary_properties": expect_necessary_properties,
    "object_types": expect_object_types,
    "public_addressing": expect_public_addressing,
    "quotes": expect_quotes,
    "recommended_attachments": expect_recommended_attachments,
    "url": expect_url,
}


@pytest.mark.parametrize("name,index", CASES, ids=[f"{name}-{index}" for name, index in CASES])
def test_input(pasture, name, index):
    entry = pasture.entries(name)[index]
    case = Case(name, index, localize(INPUTS[name].examples[index], pasture.peer.base), entry, pasture)
    check_common(case)
    EXPECT.get(name, expect_generic)(case)


def test_addressing_alone_notifies_nobody(pasture, fed_owner):
    """Being in `to` without a Mention tag is a silent mention for Mastodon: no notification. None
    of the inputs mentions alice, so the actor caused none (alice follows it without the bell)."""
    for name in sorted(INPUTS):
        pasture.entries(name)
    notifications = ok_json(fed_owner.get("/api/v1/notifications", params={"limit": 40}))
    from_pasture = [(n["type"], (n.get("status") or {}).get("uri")) for n in notifications
                    if n["account"]["id"] == pasture.account_id]
    assert from_pasture == [], from_pasture
