"""The streaming API over WebSocket (docs.joinmastodon.org/methods/streaming): the Worker admits
the socket, the hub (a Durable Object in workerd) holds it, and what the owner's actions change
arrives as Mastodon's frames. Every status payload is validated against the Status schema.

Sockets are real (aiohttp's client); each test posts with a fresh hashtag or text so that the
suite's other statuses on the same server do not confuse it."""

import asyncio
import json

import aiohttp
import pytest
import requests

from client import CheckedSession
from helpers import password_token, post_status, register_app, unique

WAIT = 10  # seconds a frame may take: the hub hears of a write after its response


def ws_url(base: str, query: str = "") -> str:
    return base.replace("http://", "ws://") + "/api/v1/streaming" + (f"?{query}" if query else "")


async def next_frame(ws, want=lambda frame: True, timeout: float = WAIT) -> dict:
    """The next text frame that `want`s, as JSON; fails after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError("no matching frame arrived")
        message = await ws.receive(timeout=left)
        assert message.type == aiohttp.WSMsgType.TEXT, f"unexpected message {message}"
        frame = json.loads(message.data)
        if want(frame):
            return frame


async def no_frame(ws, want=lambda frame: True, timeout: float = 3) -> None:
    try:
        frame = await next_frame(ws, want, timeout)
    except (AssertionError, asyncio.TimeoutError):
        return
    raise AssertionError(f"unexpected frame {frame}")


def is_update_of(status_id):
    def want(frame):
        return frame.get("event") == "update" and json.loads(frame["payload"])["id"] == status_id
    return want


@pytest.fixture(scope="module")
def owner_session(server, spec):
    with CheckedSession(server.url, spec) as session:
        session.token = password_token(session, register_app(session, name="e2e streaming"))
        yield session


def post_async(session, text, **fields):
    return asyncio.to_thread(post_status, session, text, **fields)


def run(coroutine):
    return asyncio.run(coroutine)


def test_health_answers_ok_and_the_instance_points_at_the_streaming_url(server, owner_session):
    response = requests.get(server.url + "/api/v1/streaming/health", timeout=10)
    assert response.status_code == 200 and response.text == "OK"
    v2 = owner_session.get("/api/v2/instance").json()
    assert v2["configuration"]["urls"]["streaming"] == server.url.replace("http://", "ws://")
    # Server-sent events are not offered: a plain GET says so instead of hanging.
    plain = requests.get(server.url + "/api/v1/streaming/user", headers={"Authorization": f"Bearer {owner_session.token}"}, timeout=10)
    assert plain.status_code == 400 and "WebSocket" in plain.json()["error"]


def test_user_stream_gets_the_owners_new_status_edit_and_delete(server, owner_session, spec):
    async def scenario():
        headers = {"Authorization": f"Bearer {owner_session.token}"}
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(ws_url(server.url, "stream=user"), headers=headers) as ws:
                status = await post_async(owner_session, unique("streamed "))
                frame = await next_frame(ws, is_update_of(status["id"]))
                assert frame["stream"] == ["user"]
                payload = json.loads(frame["payload"])
                spec.validate_component("Status", payload)
                assert payload["content"] == status["content"]

                await asyncio.to_thread(owner_session.put, f"/api/v1/statuses/{status['id']}", data={"status": "edited " + unique()})
                edited = await next_frame(ws, lambda f: f.get("event") == "status.update")
                spec.validate_component("Status", json.loads(edited["payload"]))
                assert json.loads(edited["payload"])["id"] == status["id"]

                await asyncio.to_thread(owner_session.delete, f"/api/v1/statuses/{status['id']}")
                deleted = await next_frame(ws, lambda f: f.get("event") == "delete")
                assert deleted == {"stream": ["user"], "event": "delete", "payload": status["id"]}
    run(scenario())


def test_the_token_can_come_as_the_subprotocol_and_is_echoed(server, owner_session):
    async def scenario():
        async with aiohttp.ClientSession() as http:
            # masto.js (Elk, Phanpy): the token is the first Sec-WebSocket-Protocol.
            async with http.ws_connect(ws_url(server.url, "stream=public:local"), protocols=[owner_session.token]) as ws:
                assert ws.protocol == owner_session.token
                status = await post_async(owner_session, unique("local "))
                frame = await next_frame(ws, is_update_of(status["id"]))
                assert frame["stream"] == ["public:local"]
    run(scenario())


def test_one_socket_multiplexes_streams_and_unknown_streams_get_an_error_frame(server, owner_session):
    async def scenario():
        tag = unique("tag")
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(ws_url(server.url, f"access_token={owner_session.token}")) as ws:
                await ws.send_json({"type": "subscribe", "stream": "firehose"})
                assert await next_frame(ws) == {"error": "Unknown stream type", "status": 400}
                await ws.send_json({"type": "subscribe", "stream": "hashtag", "tag": tag})
                await ws.send_json({"type": "subscribe", "stream": "public"})
                status = await post_async(owner_session, f"multiplexed #{tag}")
                frames = [await next_frame(ws, is_update_of(status["id"])) for _ in range(2)]
                assert sorted(f["stream"] for f in frames) == sorted([["hashtag", tag], ["public"]])

                await ws.send_json({"type": "unsubscribe", "stream": "public"})
                await ws.send_json({"type": "unsubscribe", "stream": "hashtag", "tag": tag})
                later = await post_async(owner_session, f"after unsubscribing #{tag}")
                await no_frame(ws, is_update_of(later["id"]))
    run(scenario())


def test_private_posts_never_reach_public_streams(server, owner_session):
    async def scenario():
        headers = {"Authorization": f"Bearer {owner_session.token}"}
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(ws_url(server.url, "stream=public"), headers=headers) as public, \
                    http.ws_connect(ws_url(server.url, "stream=user"), headers=headers) as user:
                secret = await post_async(owner_session, unique("followers only "), visibility="private")
                await next_frame(user, is_update_of(secret["id"]))
                await no_frame(public, is_update_of(secret["id"]))
    run(scenario())


def test_bad_tokens_and_missing_scopes_are_refused(server, owner_session, make_token):
    async def scenario():
        async with aiohttp.ClientSession() as http:
            for query in ["stream=user", "stream=user&access_token=nonsense"]:
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(ws_url(server.url, query))
                assert refused.value.status == 401
            with pytest.raises(aiohttp.WSServerHandshakeError) as unknown:
                await http.ws_connect(ws_url(server.url, f"stream=nope&access_token={owner_session.token}"))
            assert unknown.value.status == 400
            writer = make_token("write")
            with pytest.raises(aiohttp.WSServerHandshakeError) as scope:
                await http.ws_connect(ws_url(server.url, f"stream=user&access_token={writer}"))
            assert scope.value.status == 403
            # A notifications-only token may not read statuses on the socket either: not `user`...
            notifications_only = make_token("read:notifications")
            with pytest.raises(aiohttp.WSServerHandshakeError) as home:
                await http.ws_connect(ws_url(server.url, f"stream=user&access_token={notifications_only}"))
            assert home.value.status == 403
            async with http.ws_connect(ws_url(server.url, f"stream=user:notification&access_token={notifications_only}")) as ws:
                await ws.send_json({"type": "subscribe", "stream": "public"})
                assert (await next_frame(ws))["status"] == 401
                status = await post_async(owner_session, unique("not for notification readers "))
                await no_frame(ws, is_update_of(status["id"]))
    run(scenario())


def test_a_revoked_token_closes_its_socket(server, owner_session, api, app):
    async def scenario():
        token = password_token(api, app)
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(ws_url(server.url, f"stream=user&access_token={token}")) as ws:
                revoked = await asyncio.to_thread(api.post, "/oauth/revoke", token=None, data={
                    "client_id": app["client_id"], "client_secret": app["client_secret"], "token": token})
                assert revoked.status_code == 200
                message = await ws.receive(timeout=WAIT)
                assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
                assert ws.close_code == 1008
    run(scenario())


def test_filter_changes_are_announced(server, owner_session):
    async def scenario():
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(ws_url(server.url, f"stream=user&access_token={owner_session.token}")) as ws:
                created = await asyncio.to_thread(owner_session.post, "/api/v2/filters", data={
                    "title": unique("filter "), "context[]": "home", "keywords_attributes[][keyword]": unique("kw")})
                assert created.status_code == 200
                frame = await next_frame(ws, lambda f: f.get("event") == "filters_changed")
                assert frame == {"stream": ["user"], "event": "filters_changed"}
                await asyncio.to_thread(owner_session.delete, f"/api/v2/filters/{created.json()['id']}")
    run(scenario())
