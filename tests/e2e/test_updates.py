"""Updates: `make deploy` on an existing instance applies only the migrations it has not applied
yet (`wrangler d1 migrations apply`), and they lose nothing.

An instance is filled as in test_backup.py (posts with media and a poll, a follow each way with
the Fedify oracle, a list, filters, notifications) and its API answers are read. Its rows are
then copied into a database that has only the migrations of an older version: 0001 to 0004, the
schema of the first release that federated (commit e6f5e8d; migrations are never edited once
applied, STYLE.md §3, so those files are that release's). Columns and tables the older schema
lacks are left out, as that version never wrote them. Then the rest of the migrations are applied
the way `make deploy` applies them, provisioning runs, and a server on that database at the same
address must answer every API call and serve every file as the original did, and the peer must
still verify what it signs.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from client import CheckedSession
from conftest import FEDERATION_VARS, REPO, Server, start_server
from helpers import password_token, register_app, stop_group
from peers import activity_type
from test_backup import Seeded, differences, ok, seed, snapshot

MIGRATIONS = sorted((REPO / "migrations").glob("*.sql"))
OLD_RELEASE_LAST = "0004_federation.sql"
OLD = [m for m in MIGRATIONS if m.name <= OLD_RELEASE_LAST]
NEW = [m for m in MIGRATIONS if m.name > OLD_RELEASE_LAST]

# The search index is not copied as rows (it is an FTS5 table); it is filled the way the app
# fills it (scripts/backup.mjs, DERIVED).
FILL_SEARCH_INDEX = ("INSERT INTO statuses_fts (rowid, text) SELECT id, spoiler_text || ' ' || text FROM statuses "
                     "WHERE text IS NOT NULL AND reblog_of_id IS NULL AND deleted_at IS NULL;")


@dataclass
class Updated:
    before: dict
    after: dict
    seeded: Seeded
    server: Server
    token: str
    applied: str


def wrangler(*args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    argv = [str(REPO / "node_modules" / ".bin" / "wrangler"), *args]
    if config:
        argv += ["--config", str(config)]
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CI": "true", "NO_COLOR": "1", "WRANGLER_SEND_METRICS": "false"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def database_file(state: Path) -> Path:
    files = [p for p in state.rglob("*.sqlite") if "metadata" not in p.name and "/d1/" in str(p)]
    assert len(files) == 1, files
    return files[0]


def literal(quoted: str) -> str:
    """A quote() literal on one line: text with a line break as CAST(X'…' AS TEXT)."""
    if quoted.startswith("'") and ("\n" in quoted or "\r" in quoted):
        return f"CAST(X'{quoted[1:-1].replace(chr(39) * 2, chr(39)).encode().hex()}' AS TEXT)"
    return quoted


def rows_for_old_schema(source: Path, old: list[Path]) -> tuple[str, list[str]]:
    """INSERTs of every row of `source` that the schema of the `old` migrations can hold, and
    the tables and columns left out."""
    schema = sqlite3.connect(":memory:")
    for migration in old:
        schema.executescript(migration.read_text())
    tables = [name for (name,) in schema.execute(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'")]
    statements, left_out = ["PRAGMA defer_foreign_keys=TRUE;"], []
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as db:
        for table in tables:
            old_columns = schema.execute(f'PRAGMA table_info("{table}")').fetchall()
            have = {c[1] for c in db.execute(f'PRAGMA table_info("{table}")')}
            missing = [c[1] for c in old_columns if c[1] not in have and c[3] and c[4] is None and not c[5]]
            if missing:
                left_out.append(f"{table} (today's rows lack {missing})")
                continue
            columns = [c[1] for c in old_columns if c[1] in have]
            left_out += [f"{table}.{c}" for c in sorted(have - set(columns))]
            names = ", ".join(f'"{c}"' for c in columns)
            for row in db.execute(f'SELECT {", ".join(f"quote({chr(34)}{c}{chr(34)})" for c in columns)} FROM "{table}"'):
                statements.append(f'INSERT INTO "{table}" ({names}) VALUES ({",".join(literal(v) for v in row)});')
        today = {name for (name,) in db.execute("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'")}
    left_out += sorted(f"{t} (table)" for t in today - set(tables) if not t.startswith(("sqlite_", "_cf_", "statuses_fts", "d1_migrations")))
    statements.append(FILL_SEARCH_INDEX)
    return "\n".join(statements) + "\n", left_out


@pytest.fixture(scope="module")
def updated(own_federation_server, fedify_oracle_session, spec, tmp_path_factory) -> Updated:
    assert OLD and NEW, "pick an older release that has migrations before and after it"
    server, oracle = own_federation_server, fedify_oracle_session
    oracle.reset()
    with CheckedSession(server.url, spec) as anonymous:
        token = password_token(anonymous, register_app(anonymous))
    with CheckedSession(server.url, spec, token=token) as api:
        seeded = seed(api, server, oracle)
        before = snapshot(api, server, seeded)
    fill, left_out = rows_for_old_schema(database_file(server.workdir / "state"), OLD)
    port = int(server.url.rsplit(":", 1)[1])
    workdir = tmp_path_factory.mktemp("updated")
    state = workdir / "state"
    # Stopped, its state kept for a moment (the fixture's teardown removes it): migrations concern
    # D1 only, so the media files move over as they are.
    stop_group(server.process, grace=10)
    server.process = None
    shutil.copytree(server.workdir / "state" / "v3" / "r2", state / "v3" / "r2")
    # The older release's configuration: the same database, its migrations only.
    old_migrations = workdir / "old-migrations"
    old_migrations.mkdir()
    for migration in OLD:
        (old_migrations / migration.name).write_text(migration.read_text())
    old_config = workdir / "wrangler.old.toml"
    old_config.write_text((REPO / "wrangler.toml").read_text()
                          .replace('main = "build/worker/shim.mjs"', f'main = "{REPO / "build" / "worker" / "shim.mjs"}"')
                          .replace('migrations_dir = "migrations"', f'migrations_dir = "{old_migrations}"'))
    wrangler("d1", "migrations", "apply", "DB", "--local", "--persist-to", str(state), config=old_config)
    (workdir / "fill.sql").write_text(fill)
    wrangler("d1", "execute", "DB", "--local", "--persist-to", str(state), "--yes", "--file", str(workdir / "fill.sql"),
             config=old_config)
    # The update, as scripts/deploy.sh runs it (there with --remote).
    applied = wrangler("d1", "migrations", "apply", "DB", "--local", "--persist-to", str(state)).stdout
    new = start_server("updated", FEDERATION_VARS, max_retries=2, workdir=workdir, port=port)
    try:
        with CheckedSession(new.url, spec, token=token) as api:
            after = snapshot(api, new, seeded)
        print(f"\nleft out of the older schema: {left_out}")
        yield Updated(before, after, seeded, new, token, applied)
    finally:
        new.stop()


def test_only_the_new_migrations_are_applied(updated):
    applied = [m.name for m in MIGRATIONS if m.name in updated.applied]
    assert applied == [m.name for m in NEW], updated.applied
    rows = sqlite3.connect(f"file:{database_file(updated.server.workdir / 'state')}?mode=ro", uri=True).execute(
        "SELECT name FROM d1_migrations ORDER BY id").fetchall()
    assert [name for (name,) in rows] == [m.name for m in MIGRATIONS]


def test_every_api_answer_is_the_same_after_the_update(updated):
    assert set(updated.before) == set(updated.after)
    diffs = [d for path in updated.before if path != "instance stats"
             for d in differences(updated.before[path], updated.after[path], path)]
    assert diffs == [], "\n".join(diffs[:40])
    me = updated.after["/api/v1/accounts/verify_credentials"]
    assert me["statuses_count"] == 7 and me["followers_count"] == 1 and me["following_count"] == 1
    assert len(updated.seeded.media) == 4


def test_the_peer_verifies_what_the_updated_instance_signs(updated, fedify_oracle_session, spec):
    oracle = fedify_oracle_session
    oracle.reset()
    with CheckedSession(updated.server.url, spec, token=updated.token) as api:
        status = ok(api.post("/api/v1/statuses", data={"status": "updated and still federating", "visibility": "public"}))
        delivered = oracle.wait_received(lambda e: activity_type(e) == "Create"
                                         and (e["activity"].get("object") or {}).get("id") == status["uri"], timeout=60)
        assert delivered["verified"] and delivered["actor_owns_key"], delivered
        assert delivered["key_id"] == f"{updated.server.url}/users/alice#main-key", delivered
