"""Notifications (v1) and markers (docs.joinmastodon.org/methods/notifications, /methods/markers;
CLIENT-COMPAT §2.3 Marker, §3 (b)).

The owner is the only local account and Mastodon never notifies anyone of their own actions
(NotifyService: from_self?), so the notification list stays empty; these tests check the endpoints,
their parameters and that self-actions really create nothing."""

import os
import re
import secrets

import pytest

from client import expect_error, expect_ok
from helpers import post_status
from settings import USERNAME

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# -- markers (first: the initial state is only empty before anything set one) --------------------


@pytest.mark.skipif(bool(os.environ.get("TOPI_E2E_URL")), reason="an external server may already have markers")
def test_markers_are_empty_before_any_are_set(owner):
    """Only true while no earlier test (in file order) has set a marker on the session's server."""
    resp = owner.get("/api/v1/markers", params=[("timeline[]", "home"), ("timeline[]", "notifications")])
    assert expect_ok(resp) == {}


def test_markers_without_timeline_parameter_are_empty(owner):
    assert expect_ok(owner.get("/api/v1/markers")) == {}


def check_marker(marker, last_read_id):
    assert marker["last_read_id"] == last_read_id
    assert isinstance(marker["version"], int) and not isinstance(marker["version"], bool) and marker["version"] >= 0
    assert TIMESTAMP.match(marker["updated_at"]), marker["updated_at"]


def test_set_home_marker_with_a_form_and_read_it_back(owner):
    status = post_status(owner, f"read up to here {secrets.token_hex(3)}")
    saved = expect_ok(owner.post("/api/v1/markers", data={"home[last_read_id]": status["id"]}))
    assert set(saved) == {"home"}, saved
    check_marker(saved["home"], status["id"])

    both = expect_ok(owner.get("/api/v1/markers", params=[("timeline[]", "home"), ("timeline[]", "notifications")]))
    assert both["home"] == saved["home"]
    only_home = expect_ok(owner.get("/api/v1/markers", params={"timeline[]": "home"}))
    assert set(only_home) == {"home"} and only_home["home"] == saved["home"]


def test_marker_version_increments_on_each_update(owner):
    first_id, second_id = (post_status(owner, f"marker {i}")["id"] for i in range(2))
    first = expect_ok(owner.post("/api/v1/markers", data={"home[last_read_id]": first_id}))["home"]
    second = expect_ok(owner.post("/api/v1/markers", data={"home[last_read_id]": second_id}))["home"]
    check_marker(second, second_id)
    assert second["version"] == first["version"] + 1, (first, second)
    assert second["updated_at"] >= first["updated_at"]
    assert expect_ok(owner.get("/api/v1/markers", params={"timeline[]": "home"}))["home"] == second


def test_set_notifications_marker_with_json(owner):
    saved = expect_ok(owner.post("/api/v1/markers", json={"notifications": {"last_read_id": "12345"}}))
    assert set(saved) == {"notifications"}, saved
    check_marker(saved["notifications"], "12345")
    got = expect_ok(owner.get("/api/v1/markers", params={"timeline[]": "notifications"}))
    assert got == saved


def test_set_both_markers_at_once(owner):
    home_id = post_status(owner, "both markers")["id"]
    saved = expect_ok(owner.post("/api/v1/markers", data={
        "home[last_read_id]": home_id, "notifications[last_read_id]": "777"}))
    assert set(saved) == {"home", "notifications"}
    check_marker(saved["home"], home_id)
    check_marker(saved["notifications"], "777")
    got = expect_ok(owner.get("/api/v1/markers", params=[("timeline[]", "home"), ("timeline[]", "notifications")]))
    assert got == saved


def test_markers_need_a_token(api, make_token):
    expect_error(api.get("/api/v1/markers", params={"timeline[]": "home"}, token=None), 401)
    expect_error(api.post("/api/v1/markers", data={"home[last_read_id]": "1"}, token=None), 401)
    expect_error(api.post("/api/v1/markers", data={"home[last_read_id]": "1"}, token=make_token("read")), 403)


# -- notifications -------------------------------------------------------------------------------


def test_notifications_list_is_empty(owner):
    resp = owner.get("/api/v1/notifications")
    assert expect_ok(resp) == []
    assert "next" not in resp.links, "an empty page has no rel=next"


def test_own_actions_never_notify(owner, me):
    status = post_status(owner, f"Talking to myself, @{USERNAME}")
    assert [m["id"] for m in status["mentions"]] == [me["id"]]
    post_status(owner, f"@{USERNAME} replying to myself", in_reply_to_id=status["id"])
    post_status(owner, f"@{USERNAME} a direct note to self", visibility="direct")
    expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/favourite"))
    expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/reblog"))
    try:
        assert expect_ok(owner.get("/api/v1/notifications")) == [], "self-mentions, replies, favourites and boosts"
        assert expect_ok(owner.get("/api/v1/notifications", params={"types[]": "mention"})) == []
    finally:
        expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/unreblog"))
        expect_ok(owner.post(f"/api/v1/statuses/{status['id']}/unfavourite"))


@pytest.mark.parametrize("params", [
    [("types[]", "mention"), ("types[]", "favourite"), ("types[]", "reblog")],
    [("exclude_types[]", "follow"), ("exclude_types[]", "follow_request"), ("exclude_types[]", "poll")],
    [("types[]", "mention"), ("exclude_types[]", "status")],
    [("limit", "5"), ("max_id", "999999999999999999"), ("since_id", "1")],
    [("min_id", "1"), ("limit", "40")],
    [("limit", "100")],
], ids=["types", "exclude_types", "both", "max_since", "min_id", "big_limit"])
def test_notification_filters_are_accepted(owner, params):
    assert expect_ok(owner.get("/api/v1/notifications", params=params)) == []


def test_notifications_of_an_account(owner, me):
    assert expect_ok(owner.get("/api/v1/notifications", params={"account_id": me["id"]})) == []


@pytest.mark.parametrize("notification_id", ["999999999999999999", "abc"])
def test_unknown_notification_is_404(owner, notification_id):
    expect_error(owner.get(f"/api/v1/notifications/{notification_id}"), 404)
    expect_error(owner.post(f"/api/v1/notifications/{notification_id}/dismiss"), 404)


def test_clear_notifications(owner):
    assert expect_ok(owner.post("/api/v1/notifications/clear")) == {}
    assert expect_ok(owner.get("/api/v1/notifications")) == []


@pytest.mark.parametrize("scope, status_code", [(None, 401), ("read:statuses", 403), ("write", 403)])
def test_notifications_need_read_notifications(api, make_token, scope, status_code):
    token = make_token(scope) if scope else None
    expect_error(api.get("/api/v1/notifications", token=token), status_code)


def test_notifications_with_granular_scope(api, make_token):
    assert expect_ok(api.get("/api/v1/notifications", token=make_token("read:notifications"))) == []


@pytest.mark.parametrize("scope, status_code", [(None, 401), ("read", 403)])
def test_clear_needs_write_notifications(api, make_token, scope, status_code):
    token = make_token(scope) if scope else None
    expect_error(api.post("/api/v1/notifications/clear", token=token), status_code)
