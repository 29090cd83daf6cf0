// The streaming API under Miniflare, with the hub's Durable Object in the same workerd: how many
// sockets one hub holds, what workerd spends per published status as the number of open sockets
// grows, and how long a new status takes from `POST /api/v1/statuses` to its frame on every
// socket. `node bench/streaming.mjs` (after `make build`); BENCH_SOCKETS (0,1,100,1000),
// BENCH_POSTS (40 per step), BENCH_PORT (8881). Process CPU is workerd's utime+stime (the
// Worker, the hub and local D1 together), in 10 ms ticks, divided by the posts.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { migrate, options, ticks, tokenAndFirstStart, workerdPid } from "./cpu.mjs";

const PORT = Number(process.env.BENCH_PORT || 8881);
const STEPS = (process.env.BENCH_SOCKETS || "0,1,100,1000").split(",").map(Number);
const POSTS = Number(process.env.BENCH_POSTS || 40);
const base = `http://127.0.0.1:${PORT}`;
const msPerTick = 1000 / Number(process.env.CLK_TCK || 100);

const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? NaN;

// Opens `n` sockets on the local public stream; each records when it saw which status.
async function open(n, token) {
  const sockets = [];
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${PORT}/api/v1/streaming?stream=public:local`, [token]);
    ws.seen = new Map();
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.event === "update") ws.seen.set(JSON.parse(frame.payload).id, performance.now());
    });
    sockets.push(new Promise((resolve, reject) => { ws.once("open", () => resolve(ws)); ws.once("error", reject); }));
    // Upgrades go through the Worker one at a time in batches, as reconnecting apps would.
    if (sockets.length % 50 === 0) await Promise.all(sockets.slice(-50));
  }
  return Promise.all(sockets);
}

async function until(predicate, timeoutMs) {
  const end = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

const state = mkdtempSync(join(tmpdir(), "topi-streaming-bench-"));
const mf = new Miniflare(options("topi", PORT, state));
try {
  await mf.ready;
  await migrate(mf);
  const pid = workerdPid();
  const { token } = await tokenAndFirstStart(base, pid);
  const post = (text) => fetch(`${base}/api/v1/statuses`, {
    method: "POST", headers: { authorization: `Bearer ${token}` }, body: new URLSearchParams({ status: text, visibility: "public" }),
  }).then((r) => r.json());
  for (let i = 0; i < 10; i++) await post(`warm-up ${i}`);
  const rows = [];
  let baseline = null;
  for (const n of STEPS) {
    const t0 = performance.now();
    const sockets = await open(n, token);
    const openMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 500));
    const firsts = [];
    const lasts = [];
    let missed = 0;
    const before = ticks(pid);
    for (let i = 0; i < POSTS; i++) {
      const sent = performance.now();
      const status = await post(`streamed ${n}/${i}`);
      if (n === 0) continue;
      const all = await until(() => sockets.every((ws) => ws.seen.has(status.id)), 10_000);
      if (!all) missed++;
      const times = sockets.map((ws) => ws.seen.get(status.id)).filter(Boolean);
      firsts.push(Math.min(...times) - sent);
      lasts.push(Math.max(...times) - sent);
    }
    const cpu = ((ticks(pid) - before) * msPerTick) / POSTS;
    if (n === 0) baseline = cpu;
    rows.push({ n, openMs, cpu, extra: cpu - (baseline ?? cpu), first: median(firsts), last: median(lasts), lastP99: p99(lasts), rss: rssMb(pid), missed });
    for (const ws of sockets) ws.terminate();
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`\nStreaming (${POSTS} posts per step; process CPU per post includes the POST itself; latency from the POST's start):\n`);
  console.log("| open sockets | time to open them | workerd CPU per post | above 0 sockets | first frame (median) | last socket's frame (median / p99) | workerd RSS | posts some socket missed |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : "—");
    console.log(`| ${r.n} | ${ms(r.openMs)} | ${r.cpu.toFixed(2)} ms | ${r.extra.toFixed(2)} ms | ${ms(r.first)} | ${ms(r.last)} / ${ms(r.lastP99)} | ${r.rss.toFixed(0)} MB | ${r.missed} |`);
  }
} finally {
  await mf.dispose();
  rmSync(state, { recursive: true, force: true });
}
