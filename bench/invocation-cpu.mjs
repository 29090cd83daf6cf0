// The Worker's own CPU per invocation on the paths bench/worker-cpu.sh (GETs only) cannot reach:
// writes, signed inbox POSTs, a queue invocation that delivers one message to eight inboxes, and
// cron runs; with the discovery documents and a JS floor beside them. bench/invocation-cpu.sh runs
// it; bench/README.md ("Per invocation") says what it measures and what it found.
//   node bench/invocation-cpu.mjs OUT_PREFIX
// Writes OUT_PREFIX.md (the report, also on stdout) and OUT_PREFIX.json (every invocation).
//
// Method E of shared/BENCHMARKING.md, done here rather than with shared/tools/isolate-cpu.mjs,
// which sends GETs only: Miniflare with `inspectorPort`, V8's CPU profiler on the user worker's
// isolate (`core:user:`), which samples only while that isolate holds its lock on workerd's
// thread (its JS, Wasm, GC, and the native API code it calls: WebCrypto, fetch, the D1 client);
// Miniflare's D1/R2/queue simulators and its entry worker are other isolates and are not sampled.
// Worker CPU = samples except `(idle)` x the sampling period, the period measured as wall time /
// the sampler thread's sleeps (voluntary context switches), not taken from the nominal interval.
//
// Per invocation, not only per request on average: invocations are sent one at a time, and each
// sample is given to the invocation whose window [its start, the next one's start) holds the
// sample's timestamp. V8's profile timestamps and Node's process.hrtime are both CLOCK_MONOTONIC
// (checked at start: the profile must begin between the two hrtime readings around
// Profiler.start). A sample stands for one period (~0.25 ms), so a single invocation's figure is
// its true CPU ± one period; medians and p99 over hundreds of invocations are meaningful above a
// few periods, means everywhere.
// Process CPU: workerd's CPU (all threads, /proc/PID/task/*/schedstat, ns) over each invocation
// in an unprofiled pass of the same length: the Worker plus Miniflare's simulators, the entry
// worker, and for queue and cron invocations Miniflare's RPC from Node (the magic proxy, see the
// floor rows of the same kind).
//
// How the invocations are made: HTTP requests over one keep-alive connection; queue invocations
// through `(await mf.getWorker()).queue("topi-federation", [message])`, one message per
// invocation as wrangler.toml's `max_batch_size = 1`; cron runs through `.scheduled()`. No queue
// consumer is configured, so what the paths send to the queue stays there and never runs inside
// another invocation's window.
//
// Settings (environment): BENCH_N (150) invocations per scenario, phase and round (the heavy
// scenarios fewer: their `factor`); BENCH_ROUNDS (3); BENCH_WARMUP (20) per scenario;
// BENCH_ONLY (comma list of scenario keys); BENCH_PORT (8873: Topi, +1 the floor, +2 the peer);
// inspector ports BENCH_INSPECTOR_PORT (9873) and +1; BENCH_INTERVAL (200 us);
// BENCH_WORKERD_CORE (the idlest core over 1 s; this script goes to the others); BENCH_NICE (-10);
// BENCH_RT (10): SCHED_FIFO priority of workerd's main thread and of V8's sampler threads, so
// that other work on a shared machine (builds) cannot preempt the isolate mid-invocation, which
// sampling would count as its CPU; 0 leaves them SCHED_OTHER. Linux's RT throttling (95 %) stays;
// workerd only runs when an invocation is sent.
// BENCH_BUDGET=1 sets BUDGET_REPORT=true and records D1 round trips/statements per invocation
// (it adds a log line and a header to every invocation, so the CPU run leaves it off);
// BENCH_COUNTS=FILE takes the D1 column from such a run's OUT_PREFIX.json (bench/invocation-cpu.sh
// makes a short one first); BENCH_SAVE=DIR writes the .cpuprofile of every profiled phase; BENCH_FRAMES (12) top frames
// per scenario in the report.
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import http from "node:http";
import { createECDH, createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";
import { form, migrate, options, root, tokenAndFirstStart, workerdPids } from "./cpu.mjs";

const [outPrefix] = process.argv.slice(2);
if (!outPrefix) {
  console.error("usage: node bench/invocation-cpu.mjs OUT_PREFIX   (writes OUT_PREFIX.md and OUT_PREFIX.json)");
  process.exit(2);
}
const env = (name, fallback) => (process.env[name] === undefined || process.env[name] === "" ? fallback : process.env[name]);
const int = (name, fallback, min = 1) => {
  const v = Number(env(name, fallback));
  if (!Number.isInteger(v) || v < min) throw new Error(`${name}=${process.env[name]}: not an integer >= ${min}`);
  return v;
};
const N = int("BENCH_N", 150);
const ROUNDS = int("BENCH_ROUNDS", 3);
const WARMUP = int("BENCH_WARMUP", 20);
const PORT = int("BENCH_PORT", 8873, 1024);
const FLOOR_PORT = PORT + 1;
const PEER_PORT = PORT + 2;
const INSPECTOR = int("BENCH_INSPECTOR_PORT", 9873, 1024);
const INTERVAL = int("BENCH_INTERVAL", 200);
const NICE = int("BENCH_NICE", -10, -20);
const RT = int("BENCH_RT", 10, 0); // SCHED_FIFO priority for workerd's main thread and the samplers; 0: none
const BUDGET = env("BENCH_BUDGET", "0") === "1";
const SAVE = env("BENCH_SAVE", "");
const FRAMES = int("BENCH_FRAMES", 12, 0);
const CLEAN_WAIT_MS = 0.05;
const COUNTS = env("BENCH_COUNTS", ""); // a BENCH_BUDGET=1 run's JSON: its D1 figures fill the table
const ONLY = env("BENCH_ONLY", "").split(",").map((s) => s.trim()).filter(Boolean);

const TOPI = `http://127.0.0.1:${PORT}`;
const TOPI_HOST = `127.0.0.1:${PORT}`;
const OWNER_URI = `${TOPI}/users/alice`;
const INBOX_PATH = "/users/alice/inbox";
// Eight peers on eight loopback addresses: a delivery message's eight inboxes are on eight
// hosts, as they would be (one `instances` row each). Actors live on the first.
const PEER_HOSTS = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 1}:${PEER_PORT}`);
const PEER = `http://${PEER_HOSTS[0]}`;
const SHARED_INBOXES = PEER_HOSTS.map((h) => `http://${h}/inbox`);
// A full delivery message, as Topi builds them (app::jobs::INBOXES_PER_MESSAGE).
const PER_MESSAGE = 6;
const MESSAGE_HOSTS = PEER_HOSTS.slice(0, PER_MESSAGE);

const log = (...a) => console.error("invocation-cpu:", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => process.hrtime.bigint(); // CLOCK_MONOTONIC, as V8's profile timestamps
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => { const v = sorted(xs); const m = v.length >> 1; return v.length ? (v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2) : NaN; };
const pct = (xs, p) => { const v = sorted(xs); return v.length ? v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))] : NaN; };
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

// ------------------------------------------------------------------------------ /proc
const readStat = (path) => readFileSync(path, "utf8");
function threadNs(pid) { // CPU of every live thread, ns (schedstat's first field)
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try { sum += Number(readStat(`/proc/${pid}/task/${tid}/schedstat`).split(" ")[0]); } catch { /* exited */ }
  }
  return sum;
}
function threadInfo(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [ns, wait] = readStat(`/proc/${pid}/task/${tid}/schedstat`).split(" ").map(Number);
      const vcs = Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(readStat(`/proc/${pid}/task/${tid}/status`))[1]);
      out.set(Number(tid), { ns, wait, vcs });
    } catch { /* exited */ }
  }
  return out;
}
function waitNs(pid) { // time workerd's main thread (where every isolate runs) waited on a run queue
  return Number(readStat(`/proc/${pid}/task/${pid}/schedstat`).split(" ")[1]);
}
const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();

// workerd on the idlest core (or BENCH_WORKERD_CORE); this script, the load and the peer, and
// V8's sampler threads on the others.
function chooseCores() {
  const busy = () => readFileSync("/proc/stat", "utf8").split("\n").filter((l) => /^cpu\d/.test(l))
    .map((l) => { const v = l.split(/\s+/).slice(1).map(Number); return { cpu: l.split(" ")[0].slice(3), busy: v[0] + v[1] + v[2] + v[5] + v[6] + v[7] }; });
  let core = process.env.BENCH_WORKERD_CORE;
  const all = busy().map((x) => x.cpu);
  if (all.length < 2) throw new Error("needs 2 cores: workerd on one, the load on the other");
  if (!core) {
    const a = busy();
    execFileSync("sleep", ["1"]);
    core = busy().map((x, i) => ({ cpu: x.cpu, busy: x.busy - a[i].busy })).sort((x, y) => x.busy - y.busy)[0].cpu;
  }
  const others = all.filter((c) => c !== core).join(",");
  sh("taskset", ["-apc", others, String(process.pid)]);
  return { core, others };
}

// ------------------------------------------------------------------------------ the peer
// Serves actors (`/users/NAME` on any of its hosts, all with one RSA key) and takes deliveries
// (`/inbox` on each host), checking each delivery's signature against the owner's published key.
const peerKey = generateKeyPairSync("rsa", { modulusLength: 2048 });
const PEER_PEM = peerKey.publicKey.export({ type: "spki", format: "pem" });
const peer = { actorFetches: 0, webfingers: 0, deliveries: 0, pushes: 0, badDeliveries: [], unexpected: [], topiKey: null, topiKeyId: null, byHost: new Map() };

function actorDoc(host, name) {
  const id = `http://${host}/users/${name}`;
  return JSON.stringify({
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id, type: "Person", preferredUsername: name, name: `Peer ${name}`,
    inbox: `${id}/inbox`, outbox: `${id}/outbox`, followers: `${id}/followers`, following: `${id}/following`,
    endpoints: { sharedInbox: `http://${host}/inbox` },
    publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: PEER_PEM },
  });
}

function checkDelivery(req, body) {
  const params = {};
  for (const m of (req.headers.signature ?? "").matchAll(/([A-Za-z]+)="([^"]*)"/g)) params[m[1]] = m[2];
  const problems = [];
  if (params.keyId !== peer.topiKeyId) problems.push(`keyId ${params.keyId}`);
  const lines = (params.headers ?? "date").trim().split(/\s+/).map((name) =>
    name === "(request-target)" ? `(request-target): ${req.method.toLowerCase()} ${req.url}` : `${name}: ${req.headers[name]}`);
  let ok = false;
  try { ok = verify("sha256", Buffer.from(lines.join("\n")), peer.topiKey, Buffer.from(params.signature ?? "", "base64")); } catch {}
  if (!ok) problems.push("signature does not verify");
  if (req.headers.digest !== "SHA-256=" + createHash("sha256").update(body).digest("base64")) problems.push("digest");
  return problems;
}

function peerHandler(req, res) {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const host = req.headers.host;
    const path = req.url.split("?")[0];
    const actor = /^\/users\/([\w-]+)$/.exec(path);
    if (req.method === "GET" && path === "/.well-known/webfinger" && PEER_HOSTS.includes(host)) {
      // Imports resolve `name@host` here first (the resource arrives percent-encoded).
      const resource = new URL(req.url, `http://${host}`).searchParams.get("resource") ?? "";
      const name = /^acct:([\w-]+)@/.exec(resource)?.[1];
      if (name) {
        peer.webfingers++;
        res.writeHead(200, { "content-type": "application/jrd+json" });
        return res.end(JSON.stringify({ subject: resource, links: [{ rel: "self", type: "application/activity+json", href: `http://${host}/users/${name}` }] }));
      }
    }
    if (req.method === "GET" && actor && PEER_HOSTS.includes(host)) {
      peer.actorFetches++;
      res.writeHead(200, { "content-type": "application/activity+json" });
      return res.end(actorDoc(host, actor[1]));
    }
    if (req.method === "POST" && path === "/inbox" && PEER_HOSTS.includes(host)) {
      peer.deliveries++;
      peer.byHost.set(host, (peer.byHost.get(host) ?? 0) + 1);
      const problems = checkDelivery(req, body);
      if (problems.length) peer.badDeliveries.push(`${host}: ${problems.join(", ")}`);
      res.writeHead(202, { "content-type": "application/json" });
      return res.end("{}");
    }
    // A personal page that links back to the owner with rel="me", among ~60 KB of ordinary markup
    // (profile link verification reads it).
    if (req.method === "GET" && path === "/me.html" && PEER_HOSTS.includes(host)) {
      peer.pages = (peer.pages ?? 0) + 1;
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return res.end(ME_PAGE);
    }
    // A push service: Web Push messages to the bench's subscription (the body is encrypted for
    // a phone; its decryption is tests/e2e/test_push.py's to check).
    if (req.method === "POST" && path === "/push/bench" && host === PEER_HOSTS[0]) {
      peer.pushes++;
      res.writeHead(201);
      return res.end();
    }
    peer.unexpected.push(`${req.method} ${host}${req.url}`);
    res.writeHead(404);
    res.end();
  });
}
const ME_PAGE = "<!doctype html><html><head><title>Me</title><style>p{margin:0}</style></head><body>" +
  Array.from({ length: 600 }, (_, i) => `<p class="entry"><a href="/posts/${i}">Entry ${i}</a> some words about nothing in particular, ${i}.</p>`).join("\n") +
  `<footer><a rel="me" href="${OWNER_URI.replace("/users/alice", "/@alice")}">Mastodon</a></footer></body></html>`;
const peerServers = PEER_HOSTS.map(() => http.createServer(peerHandler));

// Draft-cavage signed POST to the owner's inbox from `actor` (rsa-sha256 over
// (request-target) host date digest), signed when the phase is prepared.
function signed(actor, activity) {
  const body = Buffer.from(JSON.stringify(activity));
  const digest = "SHA-256=" + createHash("sha256").update(body).digest("base64");
  const date = new Date().toUTCString();
  const signature = sign("sha256", Buffer.from(`(request-target): post ${INBOX_PATH}\nhost: ${TOPI_HOST}\ndate: ${date}\ndigest: ${digest}`), peerKey.privateKey).toString("base64");
  return {
    method: "POST", path: INBOX_PATH, body, expect: 202,
    headers: {
      host: TOPI_HOST, date, digest, "content-type": "application/activity+json", "content-length": String(body.length),
      signature: `keyId="${actor}#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="${signature}"`,
    },
  };
}
const actorUri = (name, host = PEER_HOSTS[0]) => `http://${host}/users/${name}`;
const follow = (actor, tag) => signed(actor, { "@context": "https://www.w3.org/ns/activitystreams", id: `${actor}#follows/${tag}`, type: "Follow", actor, object: OWNER_URI });
const like = (actor, tag, object) => signed(actor, { "@context": "https://www.w3.org/ns/activitystreams", id: `${actor}#likes/${tag}`, type: "Like", actor, object });
function createNote(actor, tag) {
  const note = `${actor}/statuses/${tag}`;
  const published = new Date().toISOString();
  return signed(actor, {
    "@context": "https://www.w3.org/ns/activitystreams", id: `${note}/activity`, type: "Create", actor, published,
    to: [OWNER_URI], cc: [],
    object: {
      id: note, type: "Note", attributedTo: actor, published, url: note, to: [OWNER_URI], cc: [],
      content: `<p><span class="h-card"><a href="${OWNER_URI}" class="u-url mention">@<span>alice</span></a></span> benchmark note ${tag}</p>`,
      tag: [{ type: "Mention", href: OWNER_URI, name: `@alice@${TOPI_HOST}` }],
    },
  });
}

// ------------------------------------------------------------------------------ invoking
const agents = new Map(); // port -> one keep-alive connection
function request(port, r) {
  if (!agents.has(port)) agents.set(port, new http.Agent({ keepAlive: true, maxSockets: 1 }));
  return new Promise((resolve, reject) => {
    const q = http.request({ host: "127.0.0.1", port, method: r.method, path: r.path, headers: r.headers, agent: agents.get(port) }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), timing: res.headers["server-timing"] }));
      res.on("error", reject);
    });
    q.on("error", reject);
    q.end(r.body);
  });
}
// "d1;desc=\"rt=2 st=3 rows_read=41 rows_written=0\", fetch;desc=\"n=0\", queue;desc=\"msgs=1 calls=1\", r2;desc=\"ops=0\""
function parseBudget(text) {
  if (!text) return null;
  const g = (re) => { const m = re.exec(text); return m ? Number(m[1]) : NaN; };
  return { rt: g(/\brt=(\d+)/), st: g(/\bst=(\d+)/), rows_read: g(/rows_read=(\d+)/), rows_written: g(/rows_written=(\d+)/),
    fetch: g(/fetch;desc="n=(\d+)/), queue: g(/msgs=(\d+)/) };
}

// ------------------------------------------------------------------------------ inspector
async function inspector(port) {
  const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const target = list.map((t) => t.id).find((t) => t.startsWith("core:user:"));
  if (!target) throw new Error(`no core:user: target on inspector port ${port}`);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/${target}`, { perMessageDeflate: false, maxPayload: 1 << 30 });
  await new Promise((r, j) => { ws.once("open", r); ws.once("error", j); });
  let id = 0;
  const pending = new Map();
  ws.on("message", (m) => { const msg = JSON.parse(m); pending.get(msg.id)?.(msg); pending.delete(msg.id); });
  const send = (method, params = {}) => new Promise((r, j) => {
    const i = ++id;
    pending.set(i, (msg) => (msg.error ? j(new Error(`${method}: ${JSON.stringify(msg.error)}`)) : r(msg.result)));
    ws.send(JSON.stringify({ id: i, method, params }));
  });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: INTERVAL });
  return { ws, send };
}

// Sample timestamps (us, CLOCK_MONOTONIC) and what each sample is: `idle`, or counted.
function samplesOf(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    out.push({ t, node: profile.samples[i], idle: nodes.get(profile.samples[i]).callFrame.functionName === "(idle)" });
  }
  return out;
}

// Self and inclusive sample counts per function (name + where), for the report's top frames.
function frames(profile, acc, windows) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const { functionName: f, url } = n.callFrame;
    const where = url.startsWith("wasm://") ? "wasm" : url ? url.split("/").pop() : "";
    // Rust symbols without their hashes: `topi::x::y::{{closure}}::h0123…` → `topi::x::y::{{closure}}`
    const name = (f || "(anonymous)").replace(/::h[0-9a-f]{16}$/, "").replace(/\[[0-9a-f]{16}\]/g, "");
    return `${name}${where ? ` [${where}]` : ""}`;
  };
  const [lo, hi] = windows;
  for (const s of samplesOf(profile)) {
    if (s.idle || s.t < lo || s.t >= hi) continue;
    acc.total++;
    let n = nodes.get(s.node);
    acc.self.set(label(n), (acc.self.get(label(n)) ?? 0) + 1);
    const seen = new Set();
    for (let id = s.node; id !== undefined; id = parent.get(id)) {
      const l = label(nodes.get(id));
      if (l.startsWith("(root)") || seen.has(l)) continue;
      seen.add(l);
      acc.incl.set(l, (acc.incl.get(l) ?? 0) + 1);
    }
  }
}

// ------------------------------------------------------------------------------ main
const state = mkdtempSync(join(tmpdir(), "topi-invocation-cpu-"));
const instances = [];
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const a of agents.values()) a.destroy();
  for (const s of peerServers) s.close();
  for (const mf of instances) await mf.dispose().catch(() => {});
  rmSync(state, { recursive: true, force: true });
  process.exit(code);
}
process.on("SIGTERM", () => shutdown(143));
process.on("SIGINT", () => shutdown(130));

const FLOOR_SCRIPT = `export default {
  fetch() { return new Response("ok"); },
  queue(batch) { batch.ackAll(); },
  scheduled() {},
};`;

async function main() {
  const started = Date.now();
  const loadBefore = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const git = (...a) => { try { return execFileSync("git", a, { cwd: root }).toString().trim(); } catch { return "?"; } };
  let srcModified = "";
  try { execFileSync("git", ["diff", "--quiet", "HEAD", "--", "src"], { cwd: root }); } catch { srcModified = ", src/ modified"; }
  const buildInfo = {
    time: new Date(Number(sh("stat", ["-c", "%Y", join(root, "build/index_bg.wasm")])) * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC",
    head: git("rev-parse", "--short", "HEAD") + srcModified,
    wasm: sh("sha256sum", [join(root, "build/index_bg.wasm")]).slice(0, 12),
  };
  const { core, others } = chooseCores();
  for (let i = 0; i < peerServers.length; i++) {
    const [host, port] = PEER_HOSTS[i].split(":");
    await new Promise((r, j) => peerServers[i].listen(Number(port), host, r).on("error", j));
  }

  // The floor: a JS worker with a fetch, a queue and a scheduled handler that do nothing.
  const floor = new Miniflare({ host: "127.0.0.1", port: FLOOR_PORT, modules: true, compatibilityDate: "2026-04-01",
    script: FLOOR_SCRIPT, inspectorPort: INSPECTOR + 1 });
  instances.push(floor);
  await floor.ready;
  const [floorPid] = workerdPids();
  const budgetLines = [];
  const workerdLog = [];
  const topi = new Miniflare({
    ...options("topi", PORT, join(state, "topi"), { bindings: { ALLOW_PRIVATE_ADDRESSES: "true", ...(BUDGET ? { BUDGET_REPORT: "true" } : {}) } }),
    inspectorPort: INSPECTOR,
    modulesRoot: root,
    handleRuntimeStdio(stdout, stderr) {
      for (const s of [stdout, stderr]) s.on("data", (chunk) => {
        for (const line of chunk.toString().split("\n")) {
          if (/^budget (queue|cron)/.test(line)) budgetLines.push(line);
          else if (line.trim() && !/^budget /.test(line)) workerdLog.push(line);
        }
      });
    },
  });
  instances.push(topi);
  await topi.ready;
  const topiPid = workerdPids().find((p) => p !== floorPid);
  for (const pid of [floorPid, topiPid]) {
    sh("taskset", ["-apc", core, String(pid)]);
    sh("renice", ["-n", String(NICE), "-p", String(pid)]); // the main thread, where the isolates run
    if (RT) sh("chrt", ["-f", "-p", String(RT), String(pid)]);
  }
  writeFileSync(`${outPrefix}.pids`, `${floorPid} ${topiPid}\n`); // for the wrapper's cleanup
  log(`Topi on :${PORT} (workerd ${topiPid}), floor on :${FLOOR_PORT} (workerd ${floorPid}), workerd on core ${core}; ` +
    `load, peer (${PEER_HOSTS.length} hosts on :${PEER_PORT}) and sampler threads on ${others}`);

  await migrate(topi);
  process.env.CLK_TCK ??= sh("getconf", ["CLK_TCK"]);
  const { token } = await tokenAndFirstStart(TOPI, topiPid);
  const auth = { authorization: `Bearer ${token}` };
  const db = await topi.getD1Database("DB");
  const topiWorker = await topi.getWorker();
  const floorWorker = await floor.getWorker();
  const ownerActor = await (await fetch(OWNER_URI, { headers: { accept: "application/activity+json" } })).json();
  peer.topiKeyId = ownerActor.publicKey.id;
  peer.topiKey = createPublicKey(ownerActor.publicKey.publicKeyPem);
  const api = async (method, path, fields) => {
    const res = await fetch(TOPI + path, { method, headers: auth, body: fields ? new URLSearchParams(fields) : undefined });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text);
  };
  const send = async (r) => { const a = await request(PORT, r); if (a.status !== r.expect) throw new Error(`${r.method} ${r.path}: ${a.status} ${a.body.slice(0, 300)}`); return a; };

  // --- Setup ------------------------------------------------------------------------------------
  // 30 statuses of the owner (Likes pick among them).
  const owned = [];
  for (let i = 0; i < 30; i++) owned.push(await api("POST", "/api/v1/statuses", { status: `owner status ${i} #bench`, visibility: "public" }));
  // One follower on each of the eight peer hosts: a status fans out to eight shared inboxes.
  for (const host of PEER_HOSTS) await send(follow(actorUri("follower", host), "setup"));
  // A stored Create activity to deliver: the fan-out of one status, run here through the queue
  // handler (no consumer runs on its own).
  const probe = await api("POST", "/api/v1/statuses", { status: "the status every delivery message carries", visibility: "public" });
  await invokeQueue(topiWorker, { event: "status_created", status_id: probe.id });
  const activity = await db.prepare("SELECT CAST(id AS TEXT) AS id, length(body) AS bytes FROM outbox_activities ORDER BY id DESC LIMIT 1").first();
  if (!activity) throw new Error("the StatusCreated event stored no activity");

  // A Web Push subscription (a phone's P-256 key and auth secret) on a push-scoped token, and
  // the newest notification (a setup Follow) to push to it.
  const pushApp = await form(TOPI, "/api/v1/apps", { client_name: "bench push", redirect_uris: "urn:ietf:wg:oauth:2.0:oob", scopes: "read write push" });
  const pushToken = (await form(TOPI, "/oauth/token", { grant_type: "password", username: "alice", password: "bench-password",
    client_id: pushApp.client_id, client_secret: pushApp.client_secret, scope: "read write push" })).access_token;
  const phone = createECDH("prime256v1");
  phone.generateKeys();
  const subscribed = await fetch(TOPI + "/api/v1/push/subscription", { method: "POST", headers: { authorization: `Bearer ${pushToken}` },
    body: new URLSearchParams({ "subscription[endpoint]": `http://${PEER_HOSTS[0]}/push/bench`, "subscription[keys][p256dh]": phone.getPublicKey("base64url"),
      "subscription[keys][auth]": Buffer.alloc(16, 7).toString("base64url"), "subscription[standard]": "true", "data[alerts][follow]": "true" }) });
  if (!subscribed.ok) throw new Error(`push subscription: ${subscribed.status} ${await subscribed.text()}`);
  const subscription = await subscribed.json();
  const notification = await db.prepare("SELECT CAST(id AS TEXT) AS id FROM notifications ORDER BY id DESC LIMIT 1").first();
  if (!notification) throw new Error("the setup Follows left no notification to push");

  // Actors: the pool `kJ` becomes known (actor fetched and stored) through one unmeasured Like
  // each; the measured Create, Like and Follow from a known actor each use a fresh pool actor,
  // so every Like is a new (actor, status) pair and every Follow a new follower.
  let nextStatus = 0; // statuses posted by the `status` scenario, fanned out by `event`
  const postedIds = [];
  const scheduledIds = []; // unused scheduled_statuses rows, scheduled far ahead
  let poolNext = 0, poolSize = 0, newActorNext = 0;
  const poolTake = () => { if (poolNext >= poolSize) throw new Error("actor pool exhausted"); return actorUri(`k${poolNext++}`); };

  const imports = { fetch: null, known: [] };
  // app::imports::batch's LOOKUPS_PER_BATCH and ROWS_PER_BATCH.
  const IMPORT_LOOKUPS = 2, IMPORT_ROWS = 25;
  // app::archive::import::POSTS_PER_STEP; enough posts in the outbox for every posts step.
  const IMPORT_POSTS_PER_STEP = 20, IMPORT_OUTBOX_POSTS = 4000;
  const IMPORT_VIDEO = "media_attachments/files/000/000/025/original/v.mp4";
  // app::imports::formats::MAX_ROWS, the rows one file holds, and app::exports::MAX_ROWS.
  const IMPORT_MAX_ROWS = 2000, EXPORT_MAX_ROWS = 2000;
  const KNOWN_BATCHES_PER_IMPORT = Math.floor(IMPORT_MAX_ROWS / IMPORT_ROWS);
  const UPLOAD_FILE = "Account address,Show boosts,Notify on new posts,Languages\n" +
    Array.from({ length: IMPORT_MAX_ROWS }, (_, i) => `u${i}@peer${i % 50}.example,true,false,${i % 7 ? "" : "\"en, de\""}`).join("\n") + "\n";
  const uploadRequest = (type, file) => {
    const boundary = "benchboundary";
    const body = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="type"\r\n\r\n${type}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="data"; filename="f.csv"\r\ncontent-type: text/csv\r\n\r\n${file}\r\n--${boundary}--\r\n`);
    return { method: "POST", path: "/api/v1/topi/imports", body, expect: 200,
      headers: { ...auth, "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(body.length) } };
  };
  const resetPace = () => db.prepare("DELETE FROM rate_limits WHERE key = 'imports:rows'").run();

  const scenarios = [
    // key, label, where (topi|floor), kind (http|queue|cron), count factor, make(i) -> invocation
    { key: "floor-http", label: "JS no-op worker, `GET /` (floor)", where: "floor", kind: "http",
      make: () => ({ method: "GET", path: "/", headers: {}, expect: 200 }) },
    { key: "webfinger", label: "WebFinger `acct:alice@…`", kind: "http", group: "discovery",
      make: () => ({ method: "GET", path: `/.well-known/webfinger?resource=acct:alice@${TOPI_HOST}`, headers: { accept: "application/jrd+json" }, expect: 200 }) },
    { key: "nodeinfo", label: "NodeInfo `/nodeinfo/2.0`", kind: "http", group: "discovery",
      make: () => ({ method: "GET", path: "/nodeinfo/2.0", headers: { accept: "application/json" }, expect: 200 }) },
    { key: "actor", label: "actor `/users/alice`", kind: "http", group: "discovery",
      make: () => ({ method: "GET", path: "/users/alice", headers: { accept: "application/activity+json" }, expect: 200 }) },
    { key: "status", label: "`POST /api/v1/statuses` (owner, public, one tag)", kind: "http",
      make: (i) => ({ method: "POST", path: "/api/v1/statuses", expect: 200, keep: (a) => postedIds.push(JSON.parse(a.body).id),
        headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ status: `bench status ${i} #bench`, visibility: "public" }).toString() }) },
    { key: "create", label: "inbox: signed `Create` of a Note mentioning the owner (known actor)", kind: "http",
      make: (i) => createNote(poolTake(), `c${i}`) },
    { key: "like", label: "inbox: signed `Like` of an owner's status (known actor, first like)", kind: "http",
      make: (i) => like(poolTake(), `l${i}`, owned[1 + (i % (owned.length - 1))].uri) }, // owned[0]: the setup Likes
    { key: "follow", label: "inbox: signed `Follow` of the owner (known actor; auto-accepted)", kind: "http",
      make: (i) => follow(poolTake(), `f${i}`) },
    { key: "follow-new", label: "inbox: signed `Follow` from an actor never seen (fetches its actor: one signed GET)", kind: "http",
      make: (i) => follow(actorUri(`n${newActorNext++}`), `n${i}`) },
    { key: "floor-queue", label: "JS no-op worker, a queue batch of one message (floor; Miniflare RPC)", where: "floor", kind: "queue",
      make: () => ({ event: "noop" }) },
    { key: "event", label: "queue: `StatusCreated` (build the Create, store it, queue one `DeliverMany` of 8 inboxes)", kind: "queue",
      make: () => { const id = postedIds[nextStatus++]; if (!id) throw new Error("no posted status left for the event scenario"); return { event: "status_created", status_id: id }; } },
    { key: "deliver", label: `queue: \`DeliverMany\`, one activity to ${PER_MESSAGE} inboxes on ${PER_MESSAGE} hosts (${PER_MESSAGE} RSA signatures and POSTs)`, kind: "queue", factor: 0.5,
      make: () => ({ event: "deliver_many", activity_id: activity.id, inboxes: SHARED_INBOXES.slice(0, PER_MESSAGE) }), deliveries: PER_MESSAGE },
    { key: "push", label: "queue: Web Push of one notification (aes128gcm: ECDH, HKDF, AES-GCM; VAPID token cached; one POST)", kind: "queue",
      make: () => ({ event: "push", subscription_id: subscription.id, notification_id: notification.id }) },
    { key: "import-fetch", label: `queue: \`ImportBatch\` of a following import, ${IMPORT_LOOKUPS} accounts never seen (WebFinger, signed actor GET, Follow stored and queued, each)`, kind: "queue", factor: 0.5,
      before: resetPace, make: () => ({ event: "import_batch", import_id: imports.fetch }) },
    { key: "import-known", label: `queue: \`ImportBatch\` of a blocking import, ${IMPORT_ROWS} known accounts (set-wise writes, a Block stored and queued for each)`, kind: "queue", factor: 0.1,
      before: resetPace, make: (i) => ({ event: "import_batch", import_id: imports.known[Math.floor(i / KNOWN_BATCHES_PER_IMPORT)] }) },
    { key: "import-upload", label: `\`POST /api/v1/topi/imports\`: a following file of ${IMPORT_MAX_ROWS} rows (the most one holds) parsed and stored`, kind: "http", factor: 0.1,
      make: () => uploadRequest("following", UPLOAD_FILE) },
    { key: "export", label: `\`GET /settings/exports/follows.csv\`: ${EXPORT_MAX_ROWS} follows (the most one answer holds; one D1 query per 1,000)`, kind: "http", factor: 0.5,
      make: () => ({ method: "GET", path: "/settings/exports/follows.csv", headers: auth, expect: 200 }) },
    { key: "profile", label: "`PATCH /api/v1/accounts/update_credentials`: name, bio, 4 fields linking to web pages (an `Update` and the link check queued)", kind: "http",
      make: (i) => ({ method: "PATCH", path: "/api/v1/accounts/update_credentials", expect: 200,
        headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ display_name: `Alice ${i % 1000}`, note: `Bio ${i} #bench`,
          ...Object.fromEntries(PEER_HOSTS.slice(0, 4).flatMap((host, k) => [[`fields_attributes[${k}][name]`, `Site ${k}`], [`fields_attributes[${k}][value]`, `http://${host}/me.html`]])) }).toString() }) },
    { key: "verify-links", label: "queue: `VerifyLinks`, 4 fields whose ~60 KB pages link back with rel=\"me\" (4 fetches; the tags naming the profile tokenized)", kind: "queue", factor: 0.5,
      before: () => db.prepare("UPDATE accounts SET fields = (SELECT json_group_array(json_set(value, '$.verified_at', NULL)) FROM json_each(accounts.fields)) WHERE domain IS NULL").run(),
      make: () => ({ event: "verify_links" }) },
    { key: "floor-cron", label: "JS no-op worker, a cron run (floor; Miniflare RPC)", where: "floor", kind: "cron", make: () => ({}) },
    { key: "cron", label: "cron run, nothing due (5 housekeeping statements)", kind: "cron", make: () => ({}) },
    { key: "cron-due1", label: "cron run, 1 scheduled status due (published)", kind: "cron", factor: 0.5, due: 1, make: () => ({}) },
    { key: "cron-due4", label: "cron run, 4 scheduled statuses due (the per-run bound, app::posting::SCHEDULED_PER_RUN)", kind: "cron", factor: 0.1, due: 4, make: () => ({}) },
    { key: "archive-outbox", label: "queue: archive export step, 25 posts into outbox.json (512 KiB carried)", kind: "queue", factor: 0.3, archive: "outbox",
      make: () => archiveStep(), before: (item) => archiveState(item, "outbox", []) },
    { key: "archive-media", label: "queue: archive export step, 1.6 MiB of a stored file copied (512 KiB carried; 2.1 MiB sealed)", kind: "queue", factor: 0.3, archive: "media",
      make: () => archiveStep(), before: (item) => archiveState(item, "media", []) },
    { key: "archive-part", label: "queue: archive export step that uploads a 5 MiB part from two sealed segments (4 and 2 MiB)", kind: "queue", factor: 0.3, archive: "media",
      make: () => archiveStep(), before: (item) => archiveState(item, "media", [4, 2]) },
    { key: "import-posts", label: `queue: archive import step, ${IMPORT_POSTS_PER_STEP} posts of a deflated outbox.json (inflated, found, sanitized, written set-wise)`, kind: "queue", factor: 0.5, archiveImport: true,
      make: () => importStep(), before: (item) => importState(item, "posts") },
    { key: "import-boosts", label: "queue: archive import step, 10 boosts of posts stored here re-linked", kind: "queue", factor: 0.3, archiveImport: true,
      make: () => importStep(), before: (item) => importState(item, "boosts") },
    { key: "import-media", label: "queue: archive import step, 2 deflated pictures of 1 MB inflated and stored in R2", kind: "queue", factor: 0.3, archiveImport: true,
      make: () => importStep(), before: (item) => importState(item, "media") },
    { key: "import-stream", label: "queue: archive import step, 1 MiB more of a deflated 12 MB video inflated into a segment (a 5 MiB part joined by R2 every few steps)", kind: "queue", factor: 0.3, archiveImport: true,
      make: () => importStep(), before: (item) => importState(item, "stream") },
  ].filter((s) => !ONLY.length || ONLY.includes(s.key));
  if (ONLY.includes("event") && !ONLY.includes("status")) throw new Error("BENCH_ONLY: event needs status (it fans out the statuses status posts)");
  for (const s of scenarios) s.n = Math.max(5, Math.round(N * (s.factor ?? 1)));
  const total = (s) => WARMUP + 2 * ROUNDS * s.n;

  // Imports: one following import of never-seen actors (IMPORT_LOOKUPS a batch); blocking imports
  // of known accounts, IMPORT_ROWS a batch (a file holds IMPORT_MAX_ROWS at most); EXPORT_MAX_ROWS accepted follows
  // for the export; the pace (1,000 rows a day) is reset before every batch.
  const scenarioTotal = (k) => (scenarios.some((s) => s.key === k) ? total(scenarios.find((s) => s.key === k)) : 0);
  const upload = async (type, file) => {
    const form = new FormData();
    form.append("type", type);
    form.append("data", new Blob([file], { type: "text/csv" }), `${type}.csv`);
    const res = await fetch(TOPI + "/api/v1/topi/imports", { method: "POST", headers: auth, body: form });
    const text = await res.text();
    if (!res.ok) throw new Error(`upload ${type}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text).id;
  };
  if (scenarioTotal("import-fetch")) {
    const rows = Array.from({ length: IMPORT_LOOKUPS * (scenarioTotal("import-fetch") + 1) }, (_, i) => `i${i}@${PEER_HOSTS[i % PEER_HOSTS.length]}`);
    imports.fetch = await upload("following", rows.join("\n") + "\n");
  }
  const peerDomain = PEER_HOSTS[0];
  const knownRows = IMPORT_ROWS * scenarioTotal("import-known");
  if (knownRows) {
    await db.prepare(`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${knownRows - 1})
      INSERT INTO accounts (id, username, domain, uri, inbox_url, fetched_at, created_at, updated_at)
      SELECT 900000000 + i, 'b' || i, '${peerDomain}', 'http://${peerDomain}/users/b' || i, 'http://${peerDomain}/users/b' || i || '/inbox', ${Date.now() + 86_400_000}, 0, 0 FROM seq`).run();
    for (let start = 0; start < knownRows; start += IMPORT_ROWS * KNOWN_BATCHES_PER_IMPORT) {
      const n = Math.min(IMPORT_ROWS * KNOWN_BATCHES_PER_IMPORT, knownRows - start);
      imports.known.push(await upload("blocking", Array.from({ length: n }, (_, j) => `b${start + j}@${peerDomain}`).join("\n") + "\n"));
    }
  }
  if (scenarioTotal("export")) {
    const ownerId = (await db.prepare("SELECT CAST(id AS TEXT) AS id FROM accounts WHERE domain IS NULL").first()).id;
    await db.prepare(`WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${EXPORT_MAX_ROWS - 1})
      INSERT INTO accounts (id, username, domain, uri, inbox_url, fetched_at, created_at, updated_at)
      SELECT 800000000 + i, 'e' || i, '${peerDomain}', 'http://${peerDomain}/users/e' || i, NULL, 0, 0, 0 FROM seq`).run();
    await db.prepare(`INSERT INTO follows (id, account_id, target_account_id, uri, accepted_at, show_reblogs, notify, languages, created_at)
      SELECT id, ${ownerId}, id, 'x' || id, 1, id % 2, 0, CASE WHEN id % 3 = 0 THEN '["en","de"]' END, 1 FROM accounts WHERE id >= 800000000 AND id < ${800000000 + EXPORT_MAX_ROWS}`).run();
  }

  // Pool actors, made known through a Like of the first status (4 at a time: setup only).
  poolSize = ["create", "like", "follow"].reduce((a, k) => a + (scenarios.some((s) => s.key === k) ? total(scenarios.find((s) => s.key === k)) : 0), 0);
  log(`setup: ${poolSize} known actors`);
  for (let start = 0; start < poolSize; start += 200) {
    const batch = Array.from({ length: Math.min(200, poolSize - start) }, (_, j) => like(actorUri(`k${start + j}`), "setup", owned[0].uri));
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      while (next < batch.length) {
        const r = batch[next++];
        const a = await new Promise((res, rej) => http.request({ host: "127.0.0.1", port: PORT, method: r.method, path: r.path, headers: r.headers, agent }, (x) => {
          const c = []; x.on("data", (d) => c.push(d)); x.on("end", () => res({ status: x.statusCode, body: Buffer.concat(c).toString() }));
        }).on("error", rej).end(r.body));
        if (a.status !== 202) throw new Error(`setup Like: ${a.status} ${a.body.slice(0, 200)}`);
      }
      agent.destroy();
    }));
  }
  // Scheduled statuses for the cron scenarios: one through the API, copied in D1, all far ahead;
  // before each measured cron run the next `due` rows are moved into the past.
  const dueNeeded = scenarios.filter((s) => s.due).reduce((a, s) => a + s.due * total(s), 0);
  if (dueNeeded) {
    await api("POST", "/api/v1/statuses", { status: "a scheduled status #bench", visibility: "public", scheduled_at: new Date(Date.now() + 86_400_000).toISOString() });
    const far = Date.now() + 30 * 86_400_000;
    await db.prepare(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${dueNeeded - 1})
      INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params, created_at)
      SELECT t.id + i, t.account_id, ${far}, t.params, t.created_at FROM seq, (SELECT * FROM scheduled_statuses ORDER BY id LIMIT 1) t`).run();
    await db.prepare(`UPDATE scheduled_statuses SET scheduled_at = ${far}`).run();
    const rows = await db.prepare("SELECT CAST(id AS TEXT) AS id FROM scheduled_statuses ORDER BY id").all();
    scheduledIds.push(...rows.results.map((r) => r.id));
    if (scheduledIds.length !== dueNeeded) throw new Error(`scheduled ${scheduledIds.length} of ${dueNeeded}`);
  }
  const makeDue = async (k) => {
    const ids = scheduledIds.splice(0, k);
    if (ids.length !== k) throw new Error("scheduled statuses exhausted");
    await db.prepare(`UPDATE scheduled_statuses SET scheduled_at = ${Date.now() - 1000} WHERE id IN (${ids.join(",")})`).run();
  };

  // Archive export steps (app::archive::export): an export requested through the API, after 60
  // posts of ~300 characters and one 8 MiB picture that does not compress; before each measured
  // step its row is put back in the scenario's phase, with the most a step carries (512 KiB)
  // and the segments the scenario names (MiB each), for the step the message names.
  const archive = { id: null, key: null, step: 1, bucket: null, carry: new Uint8Array(randomBytes(512 * 1024)).buffer };
  if (scenarios.some((s) => s.archive)) {
    for (let i = 0; i < 60; i++) await api("POST", "/api/v1/statuses", { status: `archived post ${i}: ${"words ".repeat(45)}#bench #archive`, visibility: i % 3 ? "public" : "unlisted" });
    const chunk = (kind, data) => { const len = Buffer.alloc(4); len.writeUInt32BE(data.length); return Buffer.concat([len, Buffer.from(kind), data, Buffer.alloc(4)]); };
    const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(2048, 0); ihdr.writeUInt32BE(1365, 4); ihdr[8] = 8; ihdr[9] = 2;
    const picture = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), chunk("IHDR", ihdr), chunk("IDAT", randomBytes(8 * 1024 * 1024)), chunk("IEND", Buffer.alloc(0))]);
    const form = new FormData();
    form.append("file", new Blob([picture], { type: "image/png" }), "big.png");
    const uploaded = await fetch(TOPI + "/api/v2/media", { method: "POST", headers: auth, body: form });
    if (!uploaded.ok) throw new Error(`media upload: ${uploaded.status} ${await uploaded.text()}`);
    const media = await uploaded.json();
    await api("POST", "/api/v1/statuses", { status: "a picture", "media_ids[]": media.id });
    archive.id = (await api("POST", "/api/v1/topi/archive")).id;
    archive.key = (await db.prepare("SELECT r2_key FROM archive_exports WHERE id = ?").bind(archive.id).first()).r2_key;
    archive.bucket = await topi.getR2Bucket("MEDIA");
  }
  const archiveStep = () => ({ event: "archive_export", archive_id: archive.id, step: archive.step++ });
  const archiveState = async (item, phase, segmentMiB) => {
    await archive.bucket.put(`${archive.key}.carry-${item.step - 1}`, archive.carry);
    const segments = [];
    for (const [i, mib] of segmentMiB.entries()) {
      const seq = -(item.step * 10 + i); // numbers no step uses
      await archive.bucket.put(`${archive.key}.segment-${seq}`, new Uint8Array(randomBytes(mib << 20)).buffer);
      segments.push([seq, 0, mib << 20]);
    }
    await db.prepare("UPDATE archive_exports SET state = 'running', step = ?, phase = ?, cursor = 0, entry = NULL, parts = 0, pending = ?, " +
      "segments = ?, entries = 0, statuses_done = 0, media_done = 0, updated_at = ? WHERE id = ?")
      .bind(item.step, phase, archive.carry.byteLength, JSON.stringify(segments), Date.now(), archive.id).run();
  };

  // Archive import steps (app::archive::import): a Mastodon-shaped zip with deflated entries
  // (outbox.json of IMPORT_OUTBOX_POSTS posts of ~300 characters, a tenth with a hashtag, its
  // first 40 items holding 10 boosts of earlier posts, 2 posts with a 1 MB picture that does
  // not compress and one with a 12 MB video that does not either), uploaded through the API in one chunk and opened by an unmeasured step. Before
  // each measured step the row is put in the scenario's phase for the step the message names;
  // posts steps go on through the outbox from where the last one stopped, boosts and media steps
  // start their phase again (their writes are idempotent).
  const importer = { id: null, step: 1 };
  if (scenarios.some((s) => s.archiveImport)) {
    const actor = "https://mastodon.example/users/alice";
    const picture = (i) => randomBytes(1_000_000 - i);
    const items = [];
    const files = [];
    for (let i = 0; i < IMPORT_OUTBOX_POSTS; i++) {
      const published = new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString();
      if (i < 40 && i % 4 === 3) {
        items.push({ id: `${actor}/statuses/${i}/activity`, type: "Announce", actor, published, to: ["https://www.w3.org/ns/activitystreams#Public"], object: `${actor}/statuses/${i - 2}` });
        continue;
      }
      const object = { id: `${actor}/statuses/${i}`, type: "Note", attributedTo: actor, published, to: ["https://www.w3.org/ns/activitystreams#Public"],
        cc: [`${actor}/followers`], content: `<p>imported post ${i}: ${"words ".repeat(45)}</p>`, contentMap: { en: "" }, sensitive: false,
        tag: i % 10 === 0 ? [{ type: "Hashtag", name: "#bench", href: "https://mastodon.example/tags/bench" }] : [] };
      if (i < 40 && i % 10 === 1) {
        const name = `media_attachments/files/000/000/${String(i).padStart(3, "0")}/original/p.png`;
        object.attachment = [{ type: "Document", mediaType: "image/png", url: name, name: "alt text" }];
        files.push([name, picture(i)]);
      }
      if (i === 25) {
        object.attachment = [{ type: "Document", mediaType: "video/mp4", url: IMPORT_VIDEO, name: "a video" }];
        files.push([IMPORT_VIDEO, randomBytes(12_000_000)]);
      }
      items.push({ id: `${actor}/statuses/${i}/activity`, type: "Create", actor, published, object });
    }
    const outbox = Buffer.from(JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: "outbox.json", type: "OrderedCollection", totalItems: items.length, orderedItems: items }));
    const zip = deflatedZip([["outbox.json", outbox], ...files]);
    const created = await api("POST", "/api/v1/topi/archive_imports", { size: String(zip.length) });
    for (let n = 1; n <= created.chunks_total; n++) {
      const body = zip.subarray((n - 1) * created.chunk_size, n * created.chunk_size);
      const put = await fetch(`${TOPI}/api/v1/topi/archive_imports/${created.id}/chunks/${n}`, { method: "PUT", headers: { ...auth, "content-type": "application/octet-stream" }, body });
      if (!put.ok) throw new Error(`archive chunk ${n}: ${put.status} ${await put.text()}`);
    }
    await api("POST", `/api/v1/topi/archive_imports/${created.id}/finish`);
    importer.id = created.id;
    await invokeQueue(topiWorker, { event: "archive_import", import_id: importer.id, step: 0 });
    const opened = await db.prepare("SELECT phase, step FROM archive_imports WHERE id = ?").bind(importer.id).first();
    if (opened.phase !== "posts") throw new Error(`the import did not open: ${JSON.stringify(opened)}`);
  }
  const importStep = () => ({ event: "archive_import", import_id: importer.id, step: importer.step++ });
  // "stream": the media phase at the video, going on with it from where the last step stopped
  // (from its start once it is whole).
  const importState = async (item, phase) => {
    const video = `(SELECT media_id - 1 FROM archive_import_media WHERE import_id = ?3 AND name = '${IMPORT_VIDEO}')`;
    await db.prepare("UPDATE archive_imports SET state = 'importing', step = ?1, phase = CASE WHEN ?2 = 'stream' THEN 'media' ELSE ?2 END, " +
      `cursor = CASE ?2 WHEN 'posts' THEN cursor WHEN 'stream' THEN CASE WHEN file IS NULL THEN ${video} ELSE cursor END ELSE 0 END, ` +
      "file = CASE WHEN ?2 = 'stream' THEN file END, day_posts = 0 WHERE id = ?3")
      .bind(item.step, phase, importer.id).run();
  };

  // --- Invocations --------------------------------------------------------------------------------
  async function invokeQueue(worker, body) {
    const id = `m${Math.random().toString(36).slice(2)}`;
    const r = await worker.queue("topi-federation", [{ id, timestamp: new Date(), body, attempts: 1 }]);
    if (r.outcome !== "ok" || r.retryBatch?.retry || r.retryMessages?.length || !(r.ackAll || r.explicitAcks?.includes(id)))
      throw new Error(`queue invocation ${JSON.stringify(body)}: ${JSON.stringify(r)}`);
  }
  // Prepared invocations run one at a time; returns per-invocation [start, end] (hrtime) and,
  // for the unprofiled pass, workerd's CPU (ns) over each.
  async function pass(s, count, cpu) {
    const pid = s.where === "floor" ? floorPid : topiPid;
    const worker = s.where === "floor" ? floorWorker : topiWorker;
    const port = s.where === "floor" ? FLOOR_PORT : PORT;
    const items = Array.from({ length: count }, (_, i) => s.make(s.serial++));
    const out = [];
    for (const item of items) {
      if (s.due) await makeDue(s.due);
      if (s.before) await s.before(item);
      const c0 = cpu ? threadNs(pid) : 0;
      const w0 = waitNs(pid);
      const t0 = now();
      let budget = null;
      if (s.kind === "http") {
        const a = await request(port, item);
        if (a.status !== item.expect) throw new Error(`${s.key}: ${a.status} ${a.body.slice(0, 300)}`);
        budget = parseBudget(a.timing);
        item.keep?.(a);
      } else if (s.kind === "queue") {
        await invokeQueue(worker, item);
      } else {
        const r = await worker.scheduled({ cron: "*/5 * * * *", scheduledTime: new Date() });
        if (r.outcome !== "ok") throw new Error(`${s.key}: ${JSON.stringify(r)}`);
      }
      const t1 = now();
      out.push({ t0, t1, cpu_ns: cpu ? threadNs(pid) - c0 : null, wait_ns: waitNs(pid) - w0, budget });
    }
    if (BUDGET && s.where !== "floor" && s.kind !== "http") { // the log lines of this pass
      await sleep(300);
      const lines = budgetLines.splice(0);
      if (lines.length !== count) log(`warning: ${s.key}: ${lines.length} budget lines for ${count} invocations`);
      lines.slice(-count).forEach((l, i) => { if (out[i]) out[i].budget = parseBudget(l); });
    }
    return out;
  }

  const sessions = { topi: await inspector(INSPECTOR), floor: await inspector(INSPECTOR + 1) };
  if (SAVE) mkdirSync(SAVE, { recursive: true });
  const results = new Map(scenarios.map((s) => [s.key, { rounds: [], invocations: [], frames: { total: 0, self: new Map(), incl: new Map() } }]));
  for (const s of scenarios) s.serial = 0;

  log(`warm-up: ${WARMUP} invocations per scenario`);
  for (const s of scenarios) await pass(s, WARMUP, false);
  await sleep(300);
  budgetLines.splice(0);

  let clockChecked = false;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of scenarios) {
      const pid = s.where === "floor" ? floorPid : topiPid;
      const session = s.where === "floor" ? sessions.floor : sessions.topi;
      // 1. Unprofiled: workerd's CPU per invocation.
      const plain = await pass(s, s.n, true);
      // 2. Profiled: the Worker isolate's samples, given to invocations by time.
      const before = new Set(threadInfo(pid).keys());
      const tStart0 = now();
      await session.send("Profiler.start");
      const tStart1 = now();
      const samplers = [...threadInfo(pid).keys()].filter((t) => !before.has(t));
      for (const t of samplers) {
        sh("taskset", ["-pc", others, String(t)]);
        sh("renice", ["-n", String(NICE), "-p", String(t)]);
        if (RT) sh("chrt", ["-f", "-p", String(RT), String(t)]);
        try { writeFileSync(`/proc/${t}/timerslack_ns`, "1"); } catch {}
      }
      const a = { th: threadInfo(pid), t: now() };
      const prof = await pass(s, s.n, false);
      const b = { th: threadInfo(pid), t: now() };
      const { profile } = await session.send("Profiler.stop");
      if (!clockChecked) {
        const st = BigInt(Math.round(profile.startTime));
        if (st < tStart0 / 1000n - 1000n || st > tStart1 / 1000n + 1000n)
          throw new Error(`the profile's clock is not CLOCK_MONOTONIC: start ${st} us, Profiler.start between ${tStart0 / 1000n} and ${tStart1 / 1000n}`);
        clockChecked = true;
      }
      if (SAVE) writeFileSync(join(SAVE, `${s.key}-r${round}.cpuprofile`), JSON.stringify(profile));
      const wakeups = mean(samplers.map((t) => (b.th.get(t)?.vcs ?? 0) - (a.th.get(t)?.vcs ?? 0)));
      const wall_us = Number(b.t - a.t) / 1000;
      if (!samplers.length || !wakeups) throw new Error(`${s.key}: V8's sampler thread was not found`);
      const period = wall_us / wakeups;
      const mainWait = (b.th.get(pid).wait - a.th.get(pid).wait) / 1e6, mainCpu = (b.th.get(pid).ns - a.th.get(pid).ns) / 1e6;
      // Samples to invocations: window i = [start_i, start_{i+1}); the last ends at b.
      const windows = prof.map((p, i) => [Number(p.t0) / 1000, i + 1 < prof.length ? Number(prof[i + 1].t0) / 1000 : Number(b.t) / 1000]);
      const counts = windows.map(() => ({ n: 0, idle: 0 }));
      let w = 0;
      for (const smp of samplesOf(profile)) {
        if (smp.t < windows[0][0] || smp.t >= windows.at(-1)[1]) continue;
        while (smp.t >= windows[w][1]) w++;
        counts[w][smp.idle ? "idle" : "n"]++;
      }
      frames(profile, results.get(s.key).frames, [windows[0][0], windows.at(-1)[1]]);
      const r = results.get(s.key);
      prof.forEach((p, i) => r.invocations.push({
        round, t0_us: Number(p.t0 / 1000n), t1_us: Number(p.t1 / 1000n), worker_ms: (counts[i].n * period) / 1000, idle_ms: (counts[i].idle * period) / 1000,
        wall_ms: Number(p.t1 - p.t0) / 1e6, runqueue_ms: p.wait_ns / 1e6, process_ms: plain[i].cpu_ns / 1e6, budget: plain[i].budget ?? p.budget,
      }));
      let heap = null; // the isolate's JS heap after the pass (a growing heap would explain long GCs)
      try { heap = await session.send("Runtime.getHeapUsage"); } catch { /* not offered */ }
      const row = {
        round, n: s.n, period_us: period, heap_used_mb: heap ? heap.usedSize / 2 ** 20 : null, heap_total_mb: heap ? heap.totalSize / 2 ** 20 : null,
        worker_ms: mean(counts.map((c) => (c.n * period) / 1000)), idle_ms: mean(counts.map((c) => (c.idle * period) / 1000)),
        process_ms: mean(plain.map((p) => p.cpu_ns / 1e6)), main_runqueue_wait_share: mainWait / Math.max(mainCpu, 1e-9),
      };
      r.rounds.push(row);
      log(`round ${round}/${ROUNDS} ${s.key}: Worker ${row.worker_ms.toFixed(3)} ms/inv (median ${median(counts.map((c) => (c.n * period) / 1000)).toFixed(3)}, ` +
        `max ${Math.max(...counts.map((c) => (c.n * period) / 1000)).toFixed(3)}), process ${row.process_ms.toFixed(3)}, period ${period.toFixed(0)} us` +
        (row.heap_used_mb !== null ? `, JS heap ${row.heap_used_mb.toFixed(1)}/${row.heap_total_mb.toFixed(1)} MB` : "") +
        (row.main_runqueue_wait_share > 0.1 ? `, workerd waited ${(100 * row.main_runqueue_wait_share).toFixed(0)} % of its CPU on a run queue` : ""));
    }
  }

  // --- Checks -------------------------------------------------------------------------------------
  const checks = [];
  const check = (label, ok, detail) => { checks.push({ label, ok: Boolean(ok), detail }); if (!ok) log(`CHECK FAILED: ${label}: ${detail}`); };
  const count = async (sql) => (await db.prepare(sql).first()).n;
  const inv = (k) => (scenarios.some((s) => s.key === k) ? total(scenarios.find((s) => s.key === k)) : 0);
  const fromPool = await count(`SELECT count(*) AS n FROM statuses s JOIN accounts a ON a.id = s.account_id WHERE a.uri LIKE '${PEER}/users/k%'`);
  check("every Create stored its Note", fromPool === inv("create"), `${fromPool} statuses from pool actors, ${inv("create")} Creates`);
  const favs = await count(`SELECT count(*) AS n FROM favourites`);
  check("every Like made a favourite", favs === poolSize + inv("like"), `${favs} favourites, ${poolSize} setup + ${inv("like")} measured Likes`);
  const followers = await count(`SELECT count(*) AS n FROM follows f JOIN accounts a ON a.id = f.account_id WHERE a.domain IS NOT NULL AND f.accepted_at IS NOT NULL`);
  check("every Follow was accepted", followers === PEER_HOSTS.length + inv("follow") + inv("follow-new"), `${followers} accepted follows, expected ${PEER_HOSTS.length + inv("follow") + inv("follow-new")}`);
  check("every actor was fetched once", peer.actorFetches === PEER_HOSTS.length + poolSize + inv("follow-new") + IMPORT_LOOKUPS * inv("import-fetch"), `${peer.actorFetches} actor fetches`);
  if (inv("import-fetch")) {
    const requested = await count(`SELECT count(*) AS n FROM follows f JOIN accounts a ON a.id = f.target_account_id WHERE a.username LIKE 'i%' AND f.accepted_at IS NULL`);
    check(`every import batch followed the ${IMPORT_LOOKUPS} accounts it fetched`, requested === IMPORT_LOOKUPS * inv("import-fetch") && peer.webfingers === requested, `${requested} follows, ${peer.webfingers} WebFinger lookups`);
  }
  if (inv("import-known")) {
    const blocked = await count("SELECT count(*) AS n FROM blocks");
    check(`every known-accounts batch blocked ${IMPORT_ROWS}`, blocked === IMPORT_ROWS * inv("import-known"), `${blocked} blocks`);
  }
  const delivered = inv("deliver") * PER_MESSAGE;
  check(`every DeliverMany reached its ${PER_MESSAGE} inboxes`, peer.deliveries === delivered && MESSAGE_HOSTS.every((h) => (peer.byHost.get(h) ?? 0) === delivered / PER_MESSAGE),
    `${peer.deliveries} deliveries, ${delivered} expected; per host ${PEER_HOSTS.map((h) => peer.byHost.get(h) ?? 0).join("/")}`);
  check("every push reached the push service", peer.pushes === inv("push"), `${peer.pushes} pushes, ${inv("push")} expected`);
  check("every delivery's signature and Digest verify", peer.badDeliveries.length === 0, `${peer.badDeliveries.length} bad${peer.badDeliveries.length ? `: ${peer.badDeliveries[0]}` : ""}`);
  check("the peer got no unexpected request", peer.unexpected.length === 0, `${peer.unexpected.length}${peer.unexpected.length ? `: ${peer.unexpected.slice(0, 3).join(", ")}` : ""}`);
  const fanned = await count("SELECT count(*) AS n FROM outbox_activities");
  const importActivities = IMPORT_LOOKUPS * inv("import-fetch") + IMPORT_ROWS * inv("import-known"); // Follows and Blocks
  check("every StatusCreated stored one activity", fanned === 1 + inv("event") + importActivities, `${fanned} outbox_activities rows, ${1 + inv("event") + importActivities} expected`);
  if (dueNeeded) {
    const left = await count(`SELECT count(*) AS n FROM scheduled_statuses WHERE scheduled_at < ${Date.now()}`);
    check("every due scheduled status was published", left === 0 && scheduledIds.length === 0, `${left} due rows left`);
  }
  const failures = await count("SELECT count(*) AS n FROM delivery_failures");
  check("no delivery failed", failures === 0, `${failures} delivery_failures rows`);
  const errors = workerdLog.filter((l) => !/^\s*$/.test(l));
  check("the Worker logged nothing", errors.length === 0, `${errors.length} lines${errors.length ? `, first: ${errors.slice(0, 2).join(" | ").slice(0, 400)}` : ""}`);

  // --- Report -------------------------------------------------------------------------------------
  const f = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : "—");
  const version = (p) => JSON.parse(readFileSync(join(root, "node_modules", p, "package.json"), "utf8")).version;
  const out = [];
  out.push("## Topi: the Worker's own CPU per invocation (method E, per-invocation windows)", "");
  out.push(`${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; build/ of ${buildInfo.time} (HEAD ${buildInfo.head}, wasm ${buildInfo.wasm}); ` +
    `workerd ${version("@cloudflare/workerd-linux-64")}, miniflare ${version("miniflare")}, node ${process.version}. ` +
    `${ROUNDS} round(s); per scenario and round ${N} invocations (fewer where noted) unprofiled, then as many profiled; ` +
    `${WARMUP} warm-up invocations each. One at a time (one connection). Workerd on core ${core} (nice ${NICE}${RT ? `, its main thread SCHED_FIFO ${RT}` : ""}), load, peer and sampler ` +
    `threads on ${others}. Sampling interval ${INTERVAL} us nominal. BUDGET_REPORT ${BUDGET ? "on (adds a header and a log line per invocation)" : "off"}. ` +
    `Took ${((Date.now() - started) / 1000).toFixed(0)} s. Load average before: ${loadBefore}, after: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}.`, "");
  const counted = COUNTS ? JSON.parse(readFileSync(COUNTS, "utf8")).summary : {};
  out.push("| scenario | n | **Worker CPU median** | mean | p99 | max | rounds' means (min–max) | process CPU mean | process median | D1 rt / st (median; max) | ms/sample | wall median | run-queue wait | undisturbed: n, median, p99 | over 10 ms |");
  out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|");
  const summary = {};
  for (const s of scenarios) {
    const r = results.get(s.key);
    const w = r.invocations.map((x) => x.worker_ms);
    const p = r.invocations.map((x) => x.process_ms);
    const roundMeans = r.rounds.map((x) => x.worker_ms);
    const bud = r.invocations.map((x) => x.budget).filter(Boolean);
    const rt = bud.map((x) => x.rt), st = bud.map((x) => x.st);
    const other = counted[s.key]?.d1;
    const d1 = bud.length ? `${median(rt)} / ${median(st)}; ${Math.max(...rt)} / ${Math.max(...st)}`
      : other ? `${other.rt_median} / ${other.st_median}; ${other.rt_max} / ${other.st_max}¹` : (s.where === "floor" ? "—" : "(BENCH_BUDGET=1)");
    const clean = r.invocations.filter((x) => x.runqueue_ms < CLEAN_WAIT_MS).map((x) => x.worker_ms);
    summary[s.key] = { over10: w.filter((x) => x > 10).length, clean_n: clean.length, clean_median: median(clean), clean_p99: pct(clean, 99), label: s.label, n: w.length, worker_median: median(w), worker_mean: mean(w), worker_p99: pct(w, 99), worker_max: Math.max(...w),
      round_means: roundMeans, process_mean: mean(p), process_median: median(p), period_us: median(r.rounds.map((x) => x.period_us)),
      wall_median: median(r.invocations.map((x) => x.wall_ms)), idle_mean: mean(r.invocations.map((x) => x.idle_ms)),
      runqueue_max: Math.max(...r.rounds.map((x) => x.main_runqueue_wait_share)),
      d1: bud.length ? { rt_median: median(rt), st_median: median(st), rt_max: Math.max(...rt), st_max: Math.max(...st),
        rows_read_median: median(bud.map((x) => x.rows_read)), rows_written_median: median(bud.map((x) => x.rows_written)),
        fetch_median: median(bud.map((x) => x.fetch)), queue_median: median(bud.map((x) => x.queue)) } : (other ?? null) };
    const S = summary[s.key];
    out.push(`| ${s.label} | ${S.n} | **${f(S.worker_median)}** | ${f(S.worker_mean)} | ${f(S.worker_p99)} | ${f(S.worker_max)} | ` +
      `${f(Math.min(...roundMeans))}–${f(Math.max(...roundMeans))} | ${f(S.process_mean)} | ${f(S.process_median)} | ${d1} | ${f(S.period_us / 1000, 3)} | ${f(S.wall_median, 2)} | ${(100 * S.runqueue_max).toFixed(0)} % | ${S.clean_n}, ${f(S.clean_median)}, ${f(S.clean_p99)} | ${S.over10} |`);
  }
  const fl = summary["floor-http"];
  const disc = scenarios.filter((s) => s.group === "discovery");
  if (fl && disc.length) {
    out.push("", "Discovery against the floor (ms per request; process CPU is workerd's, all threads, one request at a time):", "");
    out.push("| document | Worker CPU mean − floor | process CPU mean − floor | process median − floor |", "|---|---:|---:|---:|");
    for (const s of disc) {
      const S = summary[s.key];
      out.push(`| ${s.label} | ${f(S.worker_mean - fl.worker_mean)} | ${f(S.process_mean - fl.process_mean)} | ${f(S.process_median - fl.process_median)} |`);
    }
  }
  out.push("", "Worker CPU: samples of the Worker's isolate other than `(idle)` inside each invocation's window × the measured period; " +
    "`(idle)` samples (lock held, VM idle) left out" + ` (mean per invocation: ${scenarios.map((s) => `${s.key} ${f(summary[s.key].idle_mean)}`).join(", ")}). ` +
    "One sample is one period (the ms/sample column), so one invocation's figure is ± that; p99 is the 1 % slowest of all profiled invocations. " +
    "Process CPU: workerd, all threads, over each unprofiled invocation: includes Miniflare's D1 simulator (SQLite) and entry worker, and for queue and cron " +
    "invocations Miniflare's RPC from Node (compare with the floor rows of the same kind). D1 rt / st: round trips and statements from the invocation's " +
    "budget (`Server-Timing`, or the `budget queue`/`budget cron` log line)" +
    (Object.keys(counted).length ? `; ¹ from a separate run with BUDGET_REPORT=true (${COUNTS.split("/").pop()}), the figures here having been measured without it` : "") +
    ". Run-queue wait: the largest share, over the rounds, of the time workerd's main thread waited runnable against the CPU it used " +
    "while profiled; above ~10 % another process took its core and inflated that round (sampling counts wall time inside the isolate). " +
    `Undisturbed: the profiled invocations during which workerd's main thread waited less than ${CLEAN_WAIT_MS} ms on a run queue in all.`, "");
  if (FRAMES) {
    out.push("Top frames per scenario (share of the Worker's non-idle samples; self = the sampled frame; incl. = anywhere on the stack, Topi's functions and a few native calls only):", "");
    for (const s of scenarios) {
      const fr = results.get(s.key).frames;
      if (!fr.total) continue;
      // Inclusive: Topi's own functions and the native calls that matter, not the glue every sample passes through.
      const ours = new Map([...fr.incl].filter(([k]) => /topi::/.test(k) || /^(sign|verify|fetch|importKey|digest|\(garbage collector\)|\(program\))$/.test(k)));
      const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, FRAMES).map(([k, v]) => `${(100 * v / fr.total).toFixed(0)} % ${k.length > 110 ? k.slice(0, 107) + "…" : k}`);
      out.push(`<details><summary>${s.key} (${fr.total} samples)</summary>`, "", "self: " + top(fr.self).map((x) => `\`${x}\``).join(" · "), "",
        "incl.: " + top(ours).map((x) => `\`${x}\``).join(" · "), "", "</details>", "");
    }
  }
  out.push("Checks:", "", ...checks.map((c) => `- ${c.ok ? "✓" : "✗ FAILED:"} ${c.label} (${c.detail})`));
  const report = out.join("\n");
  writeFileSync(`${outPrefix}.md`, report + "\n");
  writeFileSync(`${outPrefix}.json`, JSON.stringify({ settings: { N, ROUNDS, WARMUP, INTERVAL, BUDGET, core, others }, build: buildInfo, activity, summary,
    rounds: Object.fromEntries([...results].map(([k, v]) => [k, v.rounds])),
    invocations: Object.fromEntries([...results].map(([k, v]) => [k, v.invocations])), checks }, null, 1));
  console.log(report);
  for (const s of Object.values(sessions)) s.ws.close();
  return checks.every((c) => c.ok) ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`invocation-cpu: ${e.stack ?? e}`);
}
await shutdown(code);

// A zip of deflated entries, as Mastodon's (rubyzip's) are: `files` is [[name, Buffer]].
function deflatedZip(files) {
  const parts = [];
  const central = [];
  let offset = 0;
  for (const [name, data] of files) {
    const compressed = deflateRawSync(data, { level: 6 });
    const nameBytes = Buffer.from(name);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0); head.writeUInt16LE(20, 4); head.writeUInt16LE(0x0800, 6); head.writeUInt16LE(8, 8);
    head.writeUInt32LE(crc32(data), 14); head.writeUInt32LE(compressed.length, 18); head.writeUInt32LE(data.length, 22); head.writeUInt16LE(nameBytes.length, 26);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0); record.writeUInt16LE(20, 4); record.writeUInt16LE(20, 6); record.writeUInt16LE(0x0800, 8); record.writeUInt16LE(8, 10);
    record.writeUInt32LE(crc32(data), 16); record.writeUInt32LE(compressed.length, 20); record.writeUInt32LE(data.length, 24); record.writeUInt16LE(nameBytes.length, 28);
    record.writeUInt32LE(offset, 42);
    parts.push(head, nameBytes, compressed);
    central.push(record, nameBytes);
    offset += head.length + nameBytes.length + compressed.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}
