"""The public pages (docs/web.md) as visitors, feed readers and link previews meet them.

In Debian's headless Chromium: the profile, a thread, a hashtag page and /about render without a
console or CSP error and without any script; private and direct posts are nowhere; a content
warning is a closed <details>; images carry their alt text and load; the older/newer links page
through the posts; the remote-interaction form is reached by the keyboard, labelled, and leads a
visitor from one Topi to their own (the federation server's page, the main server as home).
With plain HTTP: the RSS and Atom feeds through feedparser, and OpenGraph read as a link
preview service reads it (no script, no cookies, a bot's User-Agent), its image fetched.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import feedparser
import pytest
import requests
from bs4 import BeautifulSoup

from browser import page, screenshot  # noqa: F401 (the fixture)
from helpers import own_account, post_status, unique
from settings import TITLE, USERNAME
from test_media import png, upload

PREVIEW_AGENT = "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"


def no_errors(page) -> None:
    assert page.console_errors == [], page.console_errors
    assert page.locator("script").count() == 0, "the pages ship no script"


@pytest.fixture(scope="module")
def seeded(server, spec):
    """The owner's posts for this module: 22 numbered public posts under a fresh hashtag (more
    than a page), then one unlisted, one private and one direct post with the same hashtag."""
    from client import CheckedSession
    from helpers import password_token, register_app
    with CheckedSession(server.url, spec) as api:
        token = password_token(api, register_app(api))
        with api.with_token(token) as owner:
            tag = unique("pages")
            numbered = [post_status(owner, f"numbered {i} {tag} #{tag}") for i in range(22)]
            unlisted = post_status(owner, f"unlisted words #{tag}", visibility="unlisted")
            private = post_status(owner, f"private words #{tag}", visibility="private")
            direct = post_status(owner, f"direct words #{tag}", visibility="direct")
            yield {"tag": tag, "numbered": numbered, "unlisted": unlisted, "private": private, "direct": direct}


def test_the_profile_pages_through_public_posts_only(page, base_url, seeded):
    tag = seeded["tag"]
    page.goto(f"{base_url}/@{USERNAME}")
    no_errors(page)
    text = page.locator("main").inner_text()
    assert f"numbered 21 {tag}" in text and "unlisted words" in text
    assert "private words" not in text and "direct words" not in text
    assert f"numbered 0 {tag}" not in text, "a page holds 20 posts"
    assert page.locator("link[rel=alternate][type='application/activity+json']").get_attribute("href") == f"{base_url}/users/{USERNAME}"
    screenshot(page, "public-profile")

    page.get_by_role("link", name="Older posts →").click()
    page.wait_for_load_state()
    assert "max_id=" in page.url
    text = page.locator("main").inner_text()
    assert f"numbered 0 {tag}" in text and f"numbered 21 {tag}" not in text
    no_errors(page)

    page.get_by_role("link", name="← Newer posts").click()
    page.wait_for_load_state()
    assert "min_id=" in page.url
    assert f"numbered 21 {tag}" in page.locator("main").inner_text()
    no_errors(page)


def test_hashtag_and_tagged_pages_and_about(page, base_url, seeded):
    tag = seeded["tag"]
    page.goto(f"{base_url}/tags/{tag}")
    no_errors(page)
    text = page.locator("main").inner_text()
    assert page.locator("h1").inner_text() == f"#{tag}"
    assert f"numbered 21 {tag}" in text
    assert "unlisted words" not in text and "private words" not in text and "direct words" not in text
    screenshot(page, "public-hashtag")

    page.goto(f"{base_url}/@{USERNAME}/tagged/{tag}")
    text = page.locator("main").inner_text()
    assert "unlisted words" in text and "private words" not in text
    no_errors(page)

    page.goto(f"{base_url}/about")
    assert page.locator("h1").inner_text() == TITLE
    assert page.get_by_role("link", name="alice@example.com").get_attribute("href") == "mailto:alice@example.com"
    assert page.locator(".byline a").get_attribute("href") == f"{base_url}/@{USERNAME}"
    no_errors(page)
    screenshot(page, "public-about")


def test_a_thread_with_a_warning_and_a_described_image(page, base_url, owner, api):
    word = unique("thread")
    image = upload(owner, png(40, 30), description=f"An orange {word} rectangle").json()
    root = post_status(owner, f"root {word}", spoiler_text=f"warning {word}", **{"media_ids[]": [image["id"]]})
    reply = post_status(owner, f"reply {word}", in_reply_to_id=root["id"])
    hidden = post_status(owner, f"hidden reply {word}", in_reply_to_id=root["id"], visibility="private")
    page.goto(root["url"])
    no_errors(page)
    warning = page.locator(f"#post-{root['id']} details.cw")
    assert warning.get_attribute("open") is None
    assert page.get_by_text(f"root {word}").is_hidden(), "the warned text is collapsed"
    img = page.locator(f"#post-{root['id']} img[alt='An orange {word} rectangle']")
    assert img.count() == 1 and not img.is_visible()
    warning.locator(":scope > summary").click()
    assert page.get_by_text(f"root {word}").is_visible()
    img.wait_for(state="visible")
    assert img.evaluate("i => i.complete && i.naturalWidth === 40")
    replies = page.locator("section[aria-labelledby=replies-heading]").inner_text()
    assert f"reply {word}" in replies and f"hidden reply {word}" not in replies
    screenshot(page, "public-thread")

    page.goto(reply["url"])
    assert page.locator(f"#post-{root['id']}").count() == 1, "the ancestor is shown above"
    no_errors(page)
    assert page.goto(hidden["url"]).status == 404


def test_the_remote_interaction_form_is_labelled_and_reached_by_keyboard(page, base_url):
    page.goto(f"{base_url}/@{USERNAME}")
    handle = page.get_by_label("Your handle")
    assert handle.get_attribute("id") == "acct" and handle.get_attribute("required") is not None
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "acct":
            break
    else:
        pytest.fail("Tab never reached the handle field")
    page.keyboard.type("not a handle")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text().startswith("That is not a handle")
    assert page.get_by_label("Your handle").input_value() == "not a handle"
    no_errors(page)


def test_a_visitor_goes_from_one_topi_to_their_own(page, federation_server, server):
    """The federation server's profile page, a visitor whose home is the main server: WebFinger
    of the main server gives its /authorize_interaction template, which the page links to."""
    page.goto(f"{federation_server.url}/@{USERNAME}")
    page.get_by_label("Your handle").fill(f"{USERNAME}@{server.host}")
    page.get_by_role("button", name="Continue on my server").click()
    page.wait_for_load_state()
    go = page.locator("#continue")
    expected = f"{server.url}/authorize_interaction?uri={quote(federation_server.url + '/users/' + USERNAME, safe='')}"
    assert go.get_attribute("href") == expected
    no_errors(page)
    screenshot(page, "public-interact")
    go.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/authorize_interaction?**")
    assert page.locator("#uri").input_value() == f"{federation_server.url}/users/{USERNAME}"
    no_errors(page)


def test_feeds_parse_and_hold_public_posts_only(api, base_url, owner, seeded):
    tag = seeded["tag"]
    name = own_account(owner)["display_name"] or USERNAME
    image = upload(owner, png(8, 8), description="tiny & square").json()
    # A control character would make a careless feed unreadable XML.
    special = post_status(owner, f"bell \x07 and <b>markup</b> #{tag}", spoiler_text="careful", **{"media_ids[]": [image["id"]]})
    for path, version in [(f"/@{USERNAME}.rss", "rss20"), (f"/@{USERNAME}.atom", "atom10"),
                          (f"/users/{USERNAME}.rss", "rss20"), (f"/tags/{tag}.rss", "rss20"), (f"/tags/{tag}.atom", "atom10")]:
        resp = requests.get(base_url + path, timeout=10)
        assert resp.status_code == 200, path
        parsed = feedparser.parse(resp.content, response_headers={"content-type": resp.headers["content-type"]})
        assert parsed.bozo == 0, f"{path}: {parsed.get('bozo_exception')}"
        assert parsed.version == version, path
        links = [e.link for e in parsed.entries]
        assert links[0] == special["url"], path
        texts = " ".join(e.get("summary", "") + " ".join(c.value for c in e.get("content", [])) for e in parsed.entries)
        assert "private words" not in texts and "direct words" not in texts, path
        first = parsed.entries[0]
        html = first.content[0].value if version == "atom10" else first.summary
        assert "careful" in html and "&lt;b&gt;markup&lt;/b&gt;" in html, f"{path}: {html}"
        assert tag in [t.term for t in first.tags], path
        if version == "rss20":
            assert first.media_content[0]["url"] == image["url"] and first.media_content[0]["medium"] == "image"
            # feedparser reads Media RSS's <media:description> as plain-text content.
            assert [c.value for c in first.content] == ["tiny & square"], path
        else:
            assert [link.href for link in first.links if link.rel == "enclosure"] == [image["url"]]
            assert first.title == "Content warning: careful"
        assert parsed.feed.title == (f"#{tag}" if "/tags/" in path else name), path
    tagged = feedparser.parse(requests.get(f"{base_url}/tags/{tag}.rss", timeout=10).content)
    assert not any("unlisted words" in e.summary for e in tagged.entries), "hashtags show public posts only"


def og(soup: BeautifulSoup, prop: str) -> str | None:
    tag = soup.find("meta", attrs={"property": prop}) or soup.find("meta", attrs={"name": prop})
    return tag["content"] if tag else None


def test_opengraph_as_a_link_preview_reads_it(base_url, owner):
    word = unique("preview")
    image = upload(owner, png(60, 40), description=f"A preview {word}").json()
    status = post_status(owner, f"Look at this {word} \"quoted\" <tag>", **{"media_ids[]": [image["id"]]})
    preview = requests.Session()
    preview.headers["User-Agent"] = PREVIEW_AGENT
    resp = preview.get(status["url"], timeout=10)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    soup = BeautifulSoup(resp.text, "html.parser")
    assert og(soup, "og:type") == "article"
    assert og(soup, "og:url") == status["url"]
    shown = owner.get("/api/v1/accounts/verify_credentials").json()["display_name"] or USERNAME
    assert og(soup, "og:title") == f"{shown} (@{USERNAME}@{urlsplit(base_url).netloc})"
    assert og(soup, "og:description") == f"Look at this {word} \"quoted\" <tag>"
    assert og(soup, "og:image") == image["url"] and og(soup, "og:image:alt") == f"A preview {word}"
    assert (og(soup, "og:image:width"), og(soup, "og:image:height")) == ("60", "40")
    assert og(soup, "twitter:card") == "summary_large_image"
    picture = preview.get(og(soup, "og:image"), timeout=10)
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    alternate = soup.find("link", attrs={"rel": "alternate", "type": "application/activity+json"})["href"]
    note = preview.get(alternate, headers={"Accept": "application/activity+json"}, timeout=10).json()
    assert note["id"] == alternate and note["type"] == "Note"

    profile = BeautifulSoup(preview.get(f"{base_url}/@{USERNAME}", timeout=10).text, "html.parser")
    assert og(profile, "og:type") == "profile" and og(profile, "twitter:card") == "summary"
    assert og(profile, "profile:username") == f"{USERNAME}@{urlsplit(base_url).netloc}"
    avatar = preview.get(og(profile, "og:image"), timeout=10)
    assert avatar.status_code == 200 and avatar.headers["content-type"].startswith("image/")
    assert profile.find("meta", attrs={"name": "robots"})["content"] == "noindex, noarchive", "not indexable by default"
