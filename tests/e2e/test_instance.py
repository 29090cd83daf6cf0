"""Instance metadata: /api/v1/instance, /api/v2/instance (CLIENT-COMPAT §5), the instance sub-resources,
preferences and custom emojis."""

import re
from urllib.parse import urlsplit

import pytest
import requests

from client import expect_error, expect_ok
from helpers import register_app
from settings import TITLE, USERNAME

VERSION = re.compile(r"^4\.3\.0 \(compatible; Topi \d+\.\d+\.\d+[^)+]*\)$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def assert_real_image(url):
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc, f"not an absolute URL: {url!r}"
    resp = requests.get(url, timeout=30)
    assert resp.status_code == 200, f"{url} -> {resp.status_code}"
    assert resp.headers.get("Content-Type", "").startswith("image/"), f"{url}: {resp.headers.get('Content-Type')}"


def assert_limits(configuration):
    statuses = configuration["statuses"]
    assert statuses["max_characters"] >= 500
    assert statuses["max_media_attachments"] >= 1
    assert statuses["characters_reserved_per_url"] == 23
    media = configuration["media_attachments"]
    assert isinstance(media["supported_mime_types"], list) and "image/png" in media["supported_mime_types"]
    for key in ("image_size_limit", "image_matrix_limit", "video_size_limit", "video_frame_rate_limit",
                "video_matrix_limit"):
        assert isinstance(media[key], int) and media[key] > 0, key
    polls = configuration["polls"]
    for key in ("max_options", "max_characters_per_option", "min_expiration", "max_expiration"):
        assert isinstance(polls[key], int) and polls[key] > 0, key
    assert isinstance(configuration["accounts"]["max_featured_tags"], int)


@pytest.fixture
def v1(api):
    return expect_ok(api.get("/api/v1/instance"))


@pytest.fixture
def v2(api):
    return expect_ok(api.get("/api/v2/instance"))


# -- v1 -------------------------------------------------------------------------------------------


def test_v1_instance(v1, server):
    assert v1["uri"] == server.host
    assert v1["title"] == TITLE
    assert VERSION.match(v1["version"]), v1["version"]
    for key in ("short_description", "description", "email"):
        assert isinstance(v1[key], str), key
    assert isinstance(v1["languages"], list)
    assert v1["registrations"] is False, "a single-user server has closed registrations"
    assert isinstance(v1["approval_required"], bool) and isinstance(v1["invites_enabled"], bool)
    assert isinstance(v1["rules"], list)
    streaming = v1["urls"]["streaming_api"]
    assert urlsplit(streaming).scheme in ("ws", "wss") and urlsplit(streaming).netloc, streaming
    stats = v1["stats"]
    assert stats["user_count"] == 1
    assert isinstance(stats["status_count"], int) and isinstance(stats["domain_count"], int)
    assert_limits(v1["configuration"])
    if v1.get("contact_account") is not None:
        assert v1["contact_account"]["username"] == USERNAME


def test_v1_thumbnail_is_a_real_image(v1):
    assert isinstance(v1["thumbnail"], str)
    assert_real_image(v1["thumbnail"])


def test_v1_instance_with_trailing_slash(api, v1):
    """Mastodon.py GETs /api/v1/instance/."""
    slashed = expect_ok(api.get("/api/v1/instance/"))
    assert slashed["uri"] == v1["uri"] and slashed["version"] == v1["version"]


# -- v2 -------------------------------------------------------------------------------------------


def test_v2_instance_top_level(v2, v1, server):
    assert v2["domain"] == server.host
    assert v2["title"] == TITLE
    assert v2["version"] == v1["version"]
    assert isinstance(v2["source_url"], str) and urlsplit(v2["source_url"]).scheme in ("http", "https")
    assert isinstance(v2["description"], str)
    assert isinstance(v2["usage"]["users"]["active_month"], int)
    assert isinstance(v2["icon"], list)
    assert isinstance(v2["languages"], list) and v2["languages"]
    assert isinstance(v2["rules"], list)
    assert v2["api_versions"]["mastodon"] == 2, "4.3 clients need grouped notifications, which are implemented"


def test_v2_thumbnail_is_a_real_image(v2):
    thumbnail = v2["thumbnail"]
    assert "blurhash" in thumbnail and "versions" in thumbnail, thumbnail
    assert_real_image(thumbnail["url"])


def test_v2_registrations_are_closed(v2):
    registrations = v2["registrations"]
    assert registrations["enabled"] is False
    assert isinstance(registrations["approval_required"], bool)
    for key in ("reason_required", "message", "min_age", "url"):
        assert key in registrations, key


def test_v2_contact(v2):
    contact = v2["contact"]
    assert isinstance(contact["email"], str), "Ice Cubes decodes contact.email as a non-optional String"
    assert "account" in contact
    if contact["account"] is not None:
        assert contact["account"]["username"] == USERNAME


def test_v2_configuration(v2, server):
    configuration = v2["configuration"]
    urls = configuration["urls"]
    # The streaming API answers there (tests/e2e/test_streaming.py).
    assert urls["streaming"] == server.url.replace("http://", "ws://")
    for key in ("status", "about", "privacy_policy", "terms_of_service"):
        assert key in urls, key
    assert isinstance(configuration["vapid"]["public_key"], str) and configuration["vapid"]["public_key"]
    accounts = configuration["accounts"]
    for key in ("max_featured_tags", "max_pinned_statuses", "max_profile_fields", "profile_field_name_limit",
                "profile_field_value_limit", "max_display_name_length", "max_note_length"):
        assert isinstance(accounts[key], int), key
    # the limits update_credentials enforces (test_accounts) are the ones advertised
    assert (accounts["max_display_name_length"], accounts["max_profile_fields"], accounts["max_note_length"]) == (30, 4, 500)
    assert_limits(configuration)
    assert configuration["translation"]["enabled"] is False
    access = configuration["timelines_access"]
    for feed in ("live_feeds", "hashtag_feeds", "trending_link_feeds"):
        assert set(access[feed]) >= {"local", "remote"}, feed
    assert configuration["limited_federation"] is False


def test_vapid_key_matches_the_apps_response(api, v2):
    app = register_app(api, name="push app")
    assert app["vapid_key"] == v2["configuration"]["vapid"]["public_key"]


def test_v2_instance_with_trailing_slash(api, v2):
    slashed = expect_ok(api.get("/api/v2/instance/"))
    assert slashed["domain"] == v2["domain"]


# -- sub-resources ------------------------------------------------------------------------------


def test_peers_is_an_array_of_domains(api):
    peers = expect_ok(api.get("/api/v1/instance/peers"))
    assert isinstance(peers, list) and all(isinstance(p, str) for p in peers)


def test_rules_is_an_array(api):
    assert isinstance(expect_ok(api.get("/api/v1/instance/rules")), list)


@pytest.mark.parametrize("path", ["/api/v1/instance/extended_description", "/api/v1/instance/privacy_policy"])
def test_extended_description_and_privacy_policy(api, path):
    body = expect_ok(api.get(path))
    assert TIMESTAMP.match(body["updated_at"]), body["updated_at"]
    assert isinstance(body["content"], str)


def test_translation_languages_is_an_object(api):
    assert isinstance(expect_ok(api.get("/api/v1/instance/translation_languages")), dict)


def test_custom_emojis_anonymously(api):
    assert expect_ok(api.get("/api/v1/custom_emojis", token=None)) == []


# -- preferences ----------------------------------------------------------------------------------


def test_preferences(owner):
    prefs = expect_ok(owner.get("/api/v1/preferences"))
    assert prefs["posting:default:visibility"] in ("public", "unlisted", "private", "direct")
    assert isinstance(prefs["posting:default:sensitive"], bool)
    assert prefs["posting:default:language"] is None or isinstance(prefs["posting:default:language"], str)
    assert prefs["reading:expand:media"] in ("default", "show_all", "hide_all")
    assert isinstance(prefs["reading:expand:spoilers"], bool)


def test_preferences_need_a_token(api):
    expect_error(api.get("/api/v1/preferences", token=None), 401)
