"""A client session with masto.js, the library behind Elk and Phanpy-like web clients: JSON request
bodies, camelCase entities and Link-header paging through its async paginator
(tests/e2e/masto/scenario.mjs; CLIENT-COMPAT §2.2 application/json).

masto.js is pinned in tests/e2e/masto/package.json (+ package-lock.json) and installed into
tests/e2e/masto/node_modules on the first run. A machine without node or npm, or an install that
fails, fails this test: it is part of the suite, not optional."""

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from client import CheckedSession, expect_error, expect_ok
from helpers import check_status, own_account, password_token, register_app
from settings import USERNAME

MASTO_DIR = Path(__file__).resolve().parent / "masto"
SCENARIO = MASTO_DIR / "scenario.mjs"
INSTALL_TIMEOUT = 300
RUN_TIMEOUT = 180


def pinned_masto_version() -> str:
    return json.loads((MASTO_DIR / "package.json").read_text())["dependencies"]["masto"]


def installed_masto_version() -> str | None:
    manifest = MASTO_DIR / "node_modules" / "masto" / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text()).get("version")


def ensure_masto_installed() -> None:
    """npm install the pinned masto.js into tests/e2e/masto/node_modules unless it is there already."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed for the masto.js scenario (Node 20+)", pytrace=False)
    wanted = pinned_masto_version()
    if installed_masto_version() == wanted:
        return
    try:
        result = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"], cwd=MASTO_DIR, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"npm install in {MASTO_DIR} took longer than {INSTALL_TIMEOUT}s", pytrace=False)
    if result.returncode != 0:
        pytest.fail(f"npm install in {MASTO_DIR} failed ({result.returncode}):\n{result.stdout[-2000:]}\n"
                    f"{result.stderr[-3000:]}", pytrace=False)
    installed = installed_masto_version()
    if installed != wanted:
        pytest.fail(f"npm install left masto {installed!r} in node_modules, package.json pins {wanted}", pytrace=False)


def run_scenario(base_url: str, token: str, tag: str, word: str = "", script: Path = SCENARIO) -> dict:
    env = {**os.environ, "TOPI_URL": base_url, "TOPI_TOKEN": token, "TOPI_TAG": tag, "TOPI_WORD": word,
           "NO_COLOR": "1"}
    try:
        result = subprocess.run(["node", str(script)], cwd=MASTO_DIR, env=env, stdin=subprocess.DEVNULL,
                                capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the masto.js scenario took longer than {RUN_TIMEOUT}s", pytrace=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    summary = json.loads(lines[-1]) if lines else None
    if result.returncode != 0 or summary is None or "error" in summary:
        pytest.fail(f"masto.js scenario failed (exit {result.returncode}):\nsummary: {json.dumps(summary)}\n"
                    f"stderr: {result.stderr[-3000:]}", pytrace=False)
    return summary


@pytest.fixture(scope="module")
def masto_installed():
    ensure_masto_installed()


def test_masto_js_scenario(masto_installed, server, spec, base_url):
    with CheckedSession(server.url, spec) as session:
        session.token = password_token(session, register_app(session, name="masto.js e2e"), "read write follow")
        me = own_account(session)
        tag = "mastojs" + secrets.token_hex(4)
        word = "mastoword" + secrets.token_hex(4)

        summary = run_scenario(base_url, session.token, tag, word)
        assert summary["steps"][-1] == "done", summary["steps"]

        # verify credentials
        assert summary["me"] == {"id": me["id"], "username": USERNAME, "acct": USERNAME, "hasSource": True}

        # a status with a hashtag, posted as JSON
        status = summary["status"]
        assert status["accountId"] == me["id"] and status["visibility"] == "public"
        assert status["tags"] == [tag]
        assert f'#<span>{tag}</span></a>' in status["content"] and word in status["content"], status["content"]
        assert summary["tagTimeline"] == [status["id"]]
        assert summary["tag"] == {"name": tag, "historyLength": 7, "todayUses": "1"}

        # favourite and reblog
        assert summary["favourite"]["favourited"] is True and summary["favourite"]["favouritesCount"] == 1
        reblog = summary["reblog"]
        assert reblog["reblog"] == {"id": status["id"], "reblogged": True}, reblog
        assert reblog["id"] != status["id"]

        # reply, context, edit, history, delete
        reply = summary["reply"]
        assert (reply["inReplyToId"], reply["inReplyToAccountId"]) == (status["id"], me["id"])
        assert summary["context"] == {"ancestors": [], "descendants": [reply["id"]]}
        edited = summary["edited"]
        assert edited["id"] == reply["id"] and edited["editedAt"] is not None
        assert edited["content"] == "<p>An edited reply from masto.js</p>", edited["content"]
        assert len(summary["history"]) == 2 and "A reply from masto.js" in summary["history"][0], summary["history"]
        assert "An edited reply from masto.js" in summary["history"][1]
        assert summary["removed"] == {"id": reply["id"], "text": "An edited reply from masto.js"}
        assert summary["fetchRemoved"] == 404
        assert summary["unknownStatus"] == 404

        # search, and the original with its counters after all that
        assert summary["search"] == [status["id"]]
        original = summary["original"]
        assert (original["favourited"], original["reblogged"]) == (True, True)
        assert (original["favouritesCount"], original["reblogsCount"], original["repliesCount"]) == (1, 1, 0), original

        # the home timeline, two pages through the paginator's Link headers
        posted = summary["posted"]
        assert len(posted) == 5
        assert summary["homePages"] == [[posted[4], posted[3]], [posted[2], posted[1]]], summary["homePages"]

        # notifications: Mastodon never notifies you of your own actions
        assert summary["notifications"] == {"isArray": True, "count": 0}

        # clean-up went through the API as well
        assert summary["deletedOriginal"] == status["id"]
        assert summary["tagTimelineAfter"] == []
        expect_error(session.get(f"/api/v1/statuses/{status['id']}"), 404)
        for status_id in posted:
            check_status(expect_ok(session.get(f"/api/v1/statuses/{status_id}")), base_url, owner_id=me["id"])


def test_masto_js_streaming_client_receives_updates(masto_installed, server, spec, base_url):
    """masto.js's WebSocket client (tests/e2e/masto/streaming.mjs): the token as subprotocol,
    subscriptions by message, a new status on the user and hashtag streams."""
    with CheckedSession(server.url, spec) as session:
        session.token = password_token(session, register_app(session, name="masto.js streaming"), "read write")
        me = own_account(session)
        tag = "mastostream" + secrets.token_hex(4)
        summary = run_scenario(base_url, session.token, tag, script=MASTO_DIR / "streaming.mjs")
        assert summary["streamingApiUrl"] == base_url.replace("http://", "ws://")
        assert summary["user"] == {"stream": ["user"], "id": summary["posted"], "accountId": me["id"]}
        assert summary["hashtag"] == {"stream": ["hashtag", tag], "id": summary["posted"], "tags": [tag]}
