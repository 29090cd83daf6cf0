"""What every invocation of the Worker spent, read from the servers' logs, against Cloudflare's
free plan (docs/development.md, "Budgets").

With `BUDGET_REPORT=true` (set for every server the suite starts) the Worker logs one line per
invocation — each HTTP request, queue batch and cron run, whoever sent it (this suite's clients,
Mastodon.py, masto.js, snac2, Fedify, pasture's actor) — and answers requests with the same
figures in `Server-Timing`:

    budget Get /api/v1/timelines/home: d1;desc="rt=2 st=3 rows_read=41 rows_written=0", fetch;desc="n=0", queue;desc="msgs=0 calls=0", r2;desc="ops=0"

The session fails when any invocation passes a hard per-invocation limit of the free plan (50
D1 queries, 50 subrequests); the ten most expensive endpoints are printed either way, with the
round-trip targets of the free-plan issue reported (not enforced) beside them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MAX_D1_QUERIES = 50
MAX_SUBREQUESTS = 50

LINE = re.compile(
    r'budget (?P<what>.+?): d1;desc="rt=(?P<rt>\d+) st=(?P<st>\d+) rows_read=(?P<read>\d+) rows_written=(?P<written>\d+)", '
    r'fetch;desc="n=(?P<fetch>\d+)", queue;desc="msgs=(?P<msgs>\d+) calls=(?P<calls>\d+)", r2;desc="ops=(?P<r2>\d+)"'
)
SERVER_TIMING = re.compile(r'(\w+);desc="([^"]*)"')


@dataclass
class Spent:
    what: str
    rt: int
    st: int
    rows_read: int
    rows_written: int
    fetch: int
    msgs: int
    calls: int
    r2: int

    @property
    def endpoint(self) -> str:
        """The invocation with ids, handles and queries folded, so that one route is one row."""
        what = self.what.split("?", 1)[0]
        what = re.sub(r"/\d+(?=/|$)", "/{id}", what)
        what = re.sub(r"/@[^/]+", "/@{user}", what)
        what = re.sub(r"/(tag|tags|lists?|users|accounts)/[^/{]+", r"/\1/{name}", what)
        return what


def parse_server_timing(header: str) -> dict[str, dict[str, int]]:
    """`d1;desc="rt=2 st=3"` → {"d1": {"rt": 2, "st": 3}}."""
    metrics = {}
    for name, desc in SERVER_TIMING.findall(header):
        metrics[name] = {k: int(v) for k, v in (pair.split("=", 1) for pair in desc.split())}
    return metrics


def read_logs(paths: list[Path]) -> list[Spent]:
    spent = []
    for path in paths:
        if path is None or not path.exists():
            continue
        spent.extend(read_logs_text(path.read_text(errors="replace")))
    return spent


def read_logs_text(text: str) -> list[Spent]:
    """The budget lines of a piece of a log."""
    spent = []
    for line in text.splitlines():
        m = LINE.search(line)
        if m:
            spent.append(Spent(m["what"], *(int(m[k]) for k in ("rt", "st", "read", "written", "fetch", "msgs", "calls", "r2"))))
    return spent


def over_the_limits(spent: list[Spent]) -> list[str]:
    return [
        f"{s.what}: {s.st} D1 queries, {s.fetch} subrequests"
        for s in spent
        if s.st > MAX_D1_QUERIES or s.fetch > MAX_SUBREQUESTS
    ]


def report(spent: list[Spent]) -> list[str]:
    """The ten most expensive endpoints by D1 statements (the worst invocation of each)."""
    worst: dict[str, Spent] = {}
    for s in spent:
        if s.endpoint not in worst or (s.st, s.fetch, s.rt) > (worst[s.endpoint].st, worst[s.endpoint].fetch, worst[s.endpoint].rt):
            worst[s.endpoint] = s
    rows = sorted(worst.values(), key=lambda s: (s.st, s.fetch, s.rt), reverse=True)[:10]
    lines = [f"invocations measured: {len(spent)}; hard limits per invocation: {MAX_D1_QUERIES} D1 queries, {MAX_SUBREQUESTS} subrequests"]
    lines.append("the ten most expensive endpoints (worst invocation): D1 statements / round trips / rows read / rows written, subrequests, queue messages")
    for s in rows:
        lines.append(f"  {s.st:3} st {s.rt:3} rt {s.rows_read:6} read {s.rows_written:5} written {s.fetch:3} fetch {s.msgs:4} msgs  {s.endpoint}")
    reads = [s for s in worst.values() if s.endpoint.startswith("Get /api/") and s.rt > 3]
    if reads:
        lines.append(f"Mastodon reads over the 3-round-trip target ({len(reads)}): " + ", ".join(f"{s.endpoint} ({s.rt})" for s in sorted(reads, key=lambda s: -s.rt)[:15]))
    return lines
