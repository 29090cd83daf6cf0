"""Accounts: verify_credentials, update_credentials, GET /api/v1/accounts/:id and lookup
(docs.joinmastodon.org/methods/accounts; CLIENT-COMPAT §2.3 Account)."""

import re
from urllib.parse import quote, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup

from client import expect_error, expect_ok
from helpers import own_account, unique
from settings import USERNAME

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NUMERIC_ID = re.compile(r"^\d+$")


def profile_snapshot(account):
    """The user-editable parts of a CredentialAccount."""
    return {k: account[k] for k in ("display_name", "note", "fields", "locked", "bot", "discoverable")} | {
        "source": {k: account["source"][k] for k in ("note", "fields", "privacy", "sensitive", "language")}}


def text_of(html):
    return BeautifulSoup(html, "html.parser").get_text()


# -- verify_credentials -------------------------------------------------------------------------


def test_verify_credentials_returns_the_owner_as_credential_account(owner, base_url):
    account = own_account(owner)
    assert account["username"] == USERNAME
    assert account["acct"] == USERNAME, "local accounts have a bare acct"
    assert NUMERIC_ID.match(account["id"]), account["id"]
    assert TIMESTAMP.match(account["created_at"]), account["created_at"]
    assert account["url"] == f"{base_url}/@{USERNAME}"
    assert account["uri"] == f"{base_url}/users/{USERNAME}"
    for key in ("locked", "bot", "group"):
        assert isinstance(account[key], bool), key
    assert account["group"] is False
    assert account["emojis"] == []
    assert isinstance(account["fields"], list)
    for key in ("followers_count", "following_count", "statuses_count"):
        assert isinstance(account[key], int) and account[key] >= 0, key

    source = account["source"]
    assert source["privacy"] in ("public", "unlisted", "private", "direct")
    assert isinstance(source["sensitive"], bool)
    assert source["language"] is None or isinstance(source["language"], str)
    assert isinstance(source["note"], str)
    assert isinstance(source["fields"], list)
    assert source["follow_requests_count"] == 0
    assert isinstance(account["role"], dict) and account["role"]["name"]


@pytest.mark.parametrize("key", ["avatar", "avatar_static", "header", "header_static"])
def test_avatar_and_header_are_absolute_urls_of_real_images(owner, key):
    url = own_account(owner)[key]
    assert urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc, f"{key} is not absolute: {url!r}"
    resp = requests.get(url, timeout=30)
    assert resp.status_code == 200, f"{key} {url} -> {resp.status_code}"
    assert resp.headers.get("Content-Type", "").startswith("image/"), f"{key} {url}: {resp.headers.get('Content-Type')}"
    assert len(resp.content) > 0


# -- update_credentials -------------------------------------------------------------------------


def check_profile(account, *, display_name, note_text, fields):
    assert account["display_name"] == display_name
    assert account["source"]["note"] == note_text
    assert account["note"].startswith("<p>") and account["note"].endswith("</p>"), account["note"]
    assert text_of(account["note"]) == note_text.replace("\n", "")
    assert [(f["name"], f["value"]) for f in account["source"]["fields"]] == fields
    assert [(f["name"], text_of(f["value"])) for f in account["fields"]] == fields  # name: plain text
    for field in account["fields"]:
        assert field.get("verified_at") is None


def check_profile_everywhere(owner, api, **expected):
    account = own_account(owner)
    check_profile(account, **expected)
    public = expect_ok(api.get(f"/api/v1/accounts/{account['id']}", token=None))
    assert public["display_name"] == expected["display_name"]
    assert public["note"] == account["note"]
    assert public["fields"] == account["fields"]
    assert "source" not in public, "the public Account must not carry the owner's source"


def test_update_credentials_with_form_body(owner, api):
    name = unique("Form Alice ")
    resp = owner.patch("/api/v1/accounts/update_credentials", data={
        "display_name": name, "note": "Plain bio from a form",
        "fields_attributes[0][name]": "Pronouns", "fields_attributes[0][value]": "she/her",
        "fields_attributes[1][name]": "Home", "fields_attributes[1][value]": "Tampere",
    })
    expected = dict(display_name=name, note_text="Plain bio from a form",
                    fields=[("Pronouns", "she/her"), ("Home", "Tampere")])
    check_profile(expect_ok(resp), **expected)
    check_profile_everywhere(owner, api, **expected)


@pytest.mark.parametrize("fields_shape", ["array", "index_hash"])
def test_update_credentials_with_json_body(owner, api, fields_shape):
    name = unique("JSON Alice ")
    fields = [{"name": "Editor", "value": "vim"}, {"name": "Shell", "value": "bash"}]
    attributes = fields if fields_shape == "array" else {str(i): f for i, f in enumerate(fields)}
    resp = owner.patch("/api/v1/accounts/update_credentials", json={
        "display_name": name, "note": "Bio sent as JSON", "fields_attributes": attributes})
    expected = dict(display_name=name, note_text="Bio sent as JSON", fields=[("Editor", "vim"), ("Shell", "bash")])
    check_profile(expect_ok(resp), **expected)
    check_profile_everywhere(owner, api, **expected)


def test_update_credentials_with_multipart_body(owner, api):
    name = unique("Multipart Alice ")
    resp = owner.patch("/api/v1/accounts/update_credentials", files={
        "display_name": (None, name), "note": (None, "Bio sent as multipart"),
        "fields_attributes[0][name]": (None, "Camera"), "fields_attributes[0][value]": (None, "Fuji"),
    })
    assert resp.request.headers["Content-Type"].startswith("multipart/form-data")
    expected = dict(display_name=name, note_text="Bio sent as multipart", fields=[("Camera", "Fuji")])
    check_profile(expect_ok(resp), **expected)
    check_profile_everywhere(owner, api, **expected)


def test_note_is_rendered_as_escaped_html(owner):
    note = "Tom & Jerry <b>bold</b> <script>alert(1)</script>"
    account = expect_ok(owner.patch("/api/v1/accounts/update_credentials", data={"note": note}))
    assert account["source"]["note"] == note
    html = account["note"]
    assert "<b>" not in html and "<script" not in html, html
    assert "&amp;" in html and "&lt;b&gt;" in html, html
    assert text_of(html) == note


def test_note_line_breaks_become_html_breaks(owner):
    account = expect_ok(owner.patch("/api/v1/accounts/update_credentials", data={"note": "line one\nline two"}))
    assert account["source"]["note"] == "line one\nline two"
    assert "<br" in account["note"] or "</p><p>" in account["note"], account["note"]


def test_field_values_are_escaped(owner):
    account = expect_ok(owner.patch("/api/v1/accounts/update_credentials", data={
        "fields_attributes[0][name]": "<i>x</i>", "fields_attributes[0][value]": "<img src=x onerror=alert(1)>"}))
    assert account["source"]["fields"][0]["value"] == "<img src=x onerror=alert(1)>"
    rendered = account["fields"][0]
    # the value is HTML (escaped); the name is plain text, as in Mastodon (clients escape it)
    assert "<img" not in rendered["value"] and "&lt;img" in rendered["value"], rendered
    assert text_of(rendered["value"]) == "<img src=x onerror=alert(1)>"
    assert rendered["name"] == "<i>x</i>", rendered


FLAG_ENCODINGS = {
    "form 1/0": ("data", "1", "0"),
    "form true/false": ("data", "true", "false"),
    "json booleans": ("json", True, False),
    "multipart 1/0": ("files", "1", "0"),
}


@pytest.mark.parametrize("encoding", list(FLAG_ENCODINGS))
def test_boolean_flags_accept_every_client_encoding(owner, api, encoding):
    kind, yes, no = FLAG_ENCODINGS[encoding]

    def send(value):
        body = {"locked": value, "bot": value, "discoverable": value}
        if kind == "files":
            body = {k: (None, v) for k, v in body.items()}
        return expect_ok(owner.patch("/api/v1/accounts/update_credentials", **{kind: body}))

    for value, expected in ((yes, True), (no, False), (yes, True)):
        account = send(value)
        assert (account["locked"], account["bot"], account["discoverable"]) == (expected,) * 3, encoding
        again = own_account(owner)
        assert (again["locked"], again["bot"], again["discoverable"]) == (expected,) * 3
        public = expect_ok(api.get(f"/api/v1/accounts/{again['id']}", token=None))
        assert (public["locked"], public["bot"]) == (expected, expected)
    send(no)  # leave the owner unlocked and not a bot


def test_source_settings_are_updated_and_shown_in_preferences(owner):
    account = expect_ok(owner.patch("/api/v1/accounts/update_credentials", data={
        "source[privacy]": "unlisted", "source[sensitive]": "true", "source[language]": "fi"}))
    assert (account["source"]["privacy"], account["source"]["sensitive"], account["source"]["language"]) == (
        "unlisted", True, "fi")
    prefs = expect_ok(owner.get("/api/v1/preferences"))
    assert prefs["posting:default:visibility"] == "unlisted"
    assert prefs["posting:default:sensitive"] is True
    assert prefs["posting:default:language"] == "fi"
    account = expect_ok(owner.patch("/api/v1/accounts/update_credentials", json={
        "source": {"privacy": "public", "sensitive": False, "language": "en"}}))
    assert (account["source"]["privacy"], account["source"]["sensitive"], account["source"]["language"]) == (
        "public", False, "en")


def test_partial_update_keeps_other_attributes(owner):
    name = unique("Keep ")
    expect_ok(owner.patch("/api/v1/accounts/update_credentials", data={
        "display_name": name, "note": "kept note", "fields_attributes[0][name]": "Kept", "fields_attributes[0][value]": "yes"}))
    account = expect_ok(owner.patch("/api/v1/accounts/update_credentials", data={"locked": "false"}))
    assert account["display_name"] == name
    assert account["source"]["note"] == "kept note"
    assert [(f["name"], f["value"]) for f in account["source"]["fields"]] == [("Kept", "yes")]


def test_display_name_of_thirty_characters_is_accepted(owner):
    name = "x" * 30
    assert expect_ok(owner.patch("/api/v1/accounts/update_credentials", data={"display_name": name}))["display_name"] == name


# -- update_credentials: bad input changes nothing ----------------------------------------------


INVALID_UPDATES = {
    "display_name over 30 characters": {"display_name": "y" * 31, "note": "should not be saved"},
    "more than 4 fields": {
        "display_name": "Should not be saved",
        **{f"fields_attributes[{i}][{k}]": f"{k}{i}" for i in range(5) for k in ("name", "value")},
    },
    "note over 500 characters": {"note": "z" * 501, "display_name": "Should not be saved"},
    "field value over 255 characters": {
        "fields_attributes[0][name]": "ok", "fields_attributes[0][value]": "v" * 256,
        "display_name": "Should not be saved",
    },
}


@pytest.mark.parametrize("case", list(INVALID_UPDATES))
def test_invalid_update_is_rejected_and_changes_nothing(owner, case):
    before = profile_snapshot(expect_ok(owner.patch("/api/v1/accounts/update_credentials", data={
        "display_name": unique("Before "), "note": "before note",
        "fields_attributes[0][name]": "Before", "fields_attributes[0][value]": "field"})))
    expect_error(owner.patch("/api/v1/accounts/update_credentials", data=INVALID_UPDATES[case]), 422)
    assert profile_snapshot(own_account(owner)) == before


def test_update_credentials_without_token_is_401(api):
    expect_error(api.patch("/api/v1/accounts/update_credentials", token=None, data={"note": "anon"}), 401)


# -- GET /api/v1/accounts/:id and lookup --------------------------------------------------------


def test_get_account_by_id_anonymously(owner, api, base_url):
    mine = own_account(owner)
    account = expect_ok(api.get(f"/api/v1/accounts/{mine['id']}", token=None))
    assert account["id"] == mine["id"]
    assert account["username"] == USERNAME and account["acct"] == USERNAME
    assert account["url"] == f"{base_url}/@{USERNAME}"
    assert TIMESTAMP.match(account["created_at"])
    assert "source" not in account


@pytest.mark.parametrize("account_id", ["999999999999999999", "99999999999999999999999999", "abc", "-1"])
def test_unknown_or_malformed_account_id_is_404(api, account_id):
    expect_error(api.get(f"/api/v1/accounts/{account_id}", token=None), 404)


def test_lookup_by_username(owner, api):
    mine = own_account(owner)
    account = expect_ok(api.get("/api/v1/accounts/lookup", params={"acct": USERNAME}, token=None))
    assert account["id"] == mine["id"] and account["acct"] == USERNAME


def test_lookup_by_local_handle_with_domain(owner, api, server):
    mine = own_account(owner)
    account = expect_ok(api.get(f"/api/v1/accounts/lookup?acct={quote(f'{USERNAME}@{server.host}')}", token=None))
    assert account["id"] == mine["id"]


def test_lookup_is_case_insensitive(api):
    account = expect_ok(api.get("/api/v1/accounts/lookup", params={"acct": USERNAME.upper()}, token=None))
    assert account["username"] == USERNAME


@pytest.mark.parametrize("acct", ["bob", "bob@{host}", "alice@elsewhere.invalid"])
def test_lookup_of_unknown_account_is_404(api, server, acct):
    expect_error(api.get("/api/v1/accounts/lookup", params={"acct": acct.format(host=server.host)}, token=None), 404)
