"""A bot written with Mastodon.py: post, find by hashtag, boost, favourite, reply, edit, delete,
page the home timeline and read notifications. Same setup as test_mastodon_py.py (every response
schema-checked through CheckedSession, allow_http=True because the test server is plain http)."""

import secrets

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError

from client import CheckedSession
from settings import PASSWORD, USERNAME

SCOPES = ["read", "write", "follow"]


@pytest.fixture
def bot(server, spec):
    with CheckedSession(server.url, spec) as session:
        client_id, client_secret = Mastodon.create_app(
            "Topi e2e bot (Mastodon.py)", scopes=SCOPES, api_base_url=server.url, session=session)
        mastodon = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.url,
                            session=session, ratelimit_method="throw")
        mastodon.log_in(USERNAME, PASSWORD, scopes=SCOPES, allow_http=True)
        yield mastodon


def test_bot_posts_boosts_favourites_replies_edits_and_deletes(bot):
    me = bot.me()
    tag = "botrun" + secrets.token_hex(4)

    status = bot.status_post(f"Beep boop #{tag}", visibility="public", idempotency_key=secrets.token_hex(8))
    assert status.account.id == me.id
    assert [t.name.lower() for t in status.tags] == [tag]
    assert bot.status(status.id).id == status.id

    found = bot.timeline_hashtag(tag)
    assert [s.id for s in found] == [status.id]

    boost = bot.status_reblog(status.id)
    assert boost.reblog.id == status.id and boost.reblog.reblogged
    favourite = bot.status_favourite(status.id)
    assert favourite.favourited and favourite.favourites_count == 1
    assert [a.id for a in bot.status_favourited_by(status.id)] == [me.id]
    assert [a.id for a in bot.status_reblogged_by(status.id)] == [me.id]

    reply = bot.status_post("A reply from the bot", in_reply_to_id=status.id, visibility="public")
    assert reply.in_reply_to_id == status.id and reply.in_reply_to_account_id == me.id
    context = bot.status_context(status.id)
    assert [s.id for s in context.descendants] == [reply.id]
    assert [s.id for s in bot.status_context(reply.id).ancestors] == [status.id]

    edited = bot.status_update(reply.id, "An edited reply from the bot", spoiler_text="edited")
    assert edited.id == reply.id and edited.edited_at is not None
    assert "An edited reply from the bot" in edited.content and edited.spoiler_text == "edited"
    history = bot.status_history(reply.id)
    assert len(history) == 2 and "A reply from the bot" in history[0].content
    source = bot.status_source(reply.id)
    assert source.text == "An edited reply from the bot" and source.spoiler_text == "edited"

    deleted = bot.status_delete(reply.id)
    assert deleted.id == reply.id and deleted.text == "An edited reply from the bot"
    with pytest.raises(MastodonNotFoundError):
        bot.status(reply.id)
    assert bot.status_context(status.id).descendants == []

    unboosted = bot.status_unreblog(status.id)
    assert not unboosted.reblogged and unboosted.reblogs_count == 0
    unfavourited = bot.status_unfavourite(status.id)
    assert not unfavourited.favourited and unfavourited.favourites_count == 0

    bot.status_delete(status.id)
    assert bot.timeline_hashtag(tag) == []


def test_bot_pages_the_home_timeline(bot):
    posted = [bot.status_post(f"page me {i} {secrets.token_hex(2)}", visibility="public").id for i in range(5)]
    first = bot.timeline_home(limit=2)
    assert [s.id for s in first] == [posted[4], posted[3]]
    second = bot.fetch_next(first)
    assert second is not None, "Mastodon.py found no rel=next Link to follow"
    assert [s.id for s in second] == [posted[2], posted[1]]
    third = bot.fetch_next(second)
    assert third and third[0].id == posted[0]
    newer = bot.fetch_previous(second)
    assert newer is not None and [s.id for s in newer] == [posted[4], posted[3]]


def test_bot_reads_notifications(bot):
    notifications = bot.notifications()
    assert isinstance(notifications, list) and notifications == []
    assert bot.notifications(types=["mention", "favourite"], limit=5) == []
    bot.notifications_clear()
    # markers_get only: test_notifications.py checks that no marker exists before it sets one
    assert isinstance(bot.markers_get(["home", "notifications"]), dict)


def test_bot_gets_a_clear_error_for_a_too_long_status(bot):
    with pytest.raises(MastodonAPIError) as excinfo:
        bot.status_post("x" * 501)
    assert excinfo.value.args[1] == 422, excinfo.value.args
