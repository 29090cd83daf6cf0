// Federation costs of the built Worker under Miniflare, by method A of BENCHMARKING.md (workerd
// CPU time ÷ operations); bench/federation.sh runs it pinned (this script on core 0, workerd on
// core 1) and bench/README.md describes what it does.
//   node bench/federation.mjs STATE_DIR OUT_MD
// Settings (environment): BENCH_RUNS (3) rounds; BENCH_INBOUND (2000) signed POSTs per kind
// and round; BENCH_CONCURRENCY (4) keep-alive connections; BENCH_WARMUP (50); BENCH_FOLLOWERS
// (1000) over BENCH_INBOXES (100) shared inboxes; BENCH_STATUSES (10) statuses per round;
// BENCH_PORT (8797): Topi there, the no-op worker on +1, the peer on +2; BENCH_WORKERD_CORE (1).
//
// In one Node process: a JS no-op worker (the floor) and Topi under Miniflare (fresh D1 with the
// migrations, ALLOW_PRIVATE_ADDRESSES, the worker consuming its own federation queue), and a
// "peer" HTTP server on loopback that serves an actor with an RSA-2048 key and is the inbox of
// every follower.
// 1. Inbound: draft-cavage-signed POSTs to /inbox from the peer, pre-signed: a Create of a Note
//    mentioning the owner (verified, stored, notified), and a Like of one of the owner's
//    statuses (verified; after the first, "already liked"). Every answer must be 202.
// 2. Outbound: BENCH_FOLLOWERS remote followers seeded in D1 over BENCH_INBOXES shared inboxes
//    (all on the peer), then statuses posted through the API. The peer counts and verifies every
//    delivery (signature against the owner's published key, Digest), and checks that each
//    activity reached each shared inbox exactly once.
// The Markdown report goes to stdout and OUT_MD; progress to stderr. Exit 1 when a check fails
// (after writing the report).
import { Miniflare } from "miniflare";
import http from "node:http";
import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { execFileSync } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { migrate, options, root, ticks, tokenAndFirstStart, workerdPids } from "./cpu.mjs";

const [stateDir, outPath] = process.argv.slice(2);
if (!stateDir || !outPath) {
  console.error("usage: node bench/federation.mjs STATE_DIR OUT_MD");
  process.exit(2);
}
const setting = (name, fallback, min = 1) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw}: not an integer >= ${min}`);
  return value;
};
const RUNS = setting("BENCH_RUNS", 3);
const INBOUND = setting("BENCH_INBOUND", 2000);
const CONCURRENCY = setting("BENCH_CONCURRENCY", 4);
const WARMUP = setting("BENCH_WARMUP", 50, 2);
const FOLLOWERS = setting("BENCH_FOLLOWERS", 1000);
const INBOXES = setting("BENCH_INBOXES", 100);
const STATUSES = setting("BENCH_STATUSES", 10);
const PORT = setting("BENCH_PORT", 8797, 1024);
const WORKERD_CORE = process.env.BENCH_WORKERD_CORE ?? "1";
if (INBOXES > FOLLOWERS) throw new Error("BENCH_INBOXES must not exceed BENCH_FOLLOWERS");
const NOOP_PORT = PORT + 1;
const PEER_PORT = PORT + 2;
const CLK_TCK = Number(process.env.CLK_TCK || execFileSync("getconf", ["CLK_TCK"]).toString().trim());
process.env.CLK_TCK = String(CLK_TCK); // tokenAndFirstStart reads it
const MS_PER_TICK = 1000 / CLK_TCK;

const TOPI = `http://127.0.0.1:${PORT}`;
const TOPI_HOST = `127.0.0.1:${PORT}`;
const PEER = `http://127.0.0.1:${PEER_PORT}`;
const PEER_DOMAIN = `127.0.0.1:${PEER_PORT}`;
const ACTOR = `${PEER}/users/peer`;
const KEY_ID = `${ACTOR}#main-key`;

const log = (...args) => console.error("federation:", ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const percentile = (xs, p) => {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
};

// ---------------------------------------------------------------------------------------------
// The peer: actor document, and the sink that receives (and checks) Topi's deliveries.
const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ACTOR_DOC = JSON.stringify({
  "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
  id: ACTOR,
  type: "Person",
  preferredUsername: "peer",
  name: "Benchmark peer",
  inbox: `${ACTOR}/inbox`,
  outbox: `${ACTOR}/outbox`,
  endpoints: { sharedInbox: `${PEER}/inbox` },
  publicKey: { id: KEY_ID, owner: ACTOR, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) },
});

const sink = {
  topiKey: null, // the owner's public key, fetched from Topi before the outbound phase
  topiKeyId: null,
  actorFetches: 0,
  unexpected: [], // requests the peer had no route for
  deliveries: [], // { round, path, activityId, objectId, type, actor, at, problems }
  round: 0,
  pid: 0, // Topi's workerd: its CPU is read when a round's first delivery arrives
  firstTicks: new Map(), // round -> workerd ticks at its first delivery
};

function checkDelivery(req, body) {
  const problems = [];
  const header = req.headers.signature;
  if (!header) return ["no Signature header"];
  const params = {};
  for (const m of header.matchAll(/([A-Za-z]+)="([^"]*)"/g)) params[m[1]] = m[2];
  if (params.keyId !== sink.topiKeyId) problems.push(`keyId ${params.keyId} is not ${sink.topiKeyId}`);
  if (params.algorithm && !["rsa-sha256", "hs2019"].includes(params.algorithm)) problems.push(`algorithm ${params.algorithm}`);
  const names = (params.headers ?? "date").trim().split(/\s+/);
  for (const required of ["(request-target)", "host", "date", "digest"]) {
    if (!names.includes(required)) problems.push(`signature does not cover ${required}`);
  }
  const lines = [];
  for (const name of names) {
    if (name === "(request-target)") lines.push(`(request-target): ${req.method.toLowerCase()} ${req.url}`);
    else if (req.headers[name] === undefined) problems.push(`covered header ${name} is missing`);
    else lines.push(`${name}: ${req.headers[name]}`);
  }
  let ok = false;
  try {
    ok = verify("sha256", Buffer.from(lines.join("\n")), sink.topiKey, Buffer.from(params.signature ?? "", "base64"));
  } catch (e) {
    problems.push(`verify threw ${e.message}`);
  }
  if (!ok) problems.push("signature does not verify");
  const digest = "SHA-256=" + createHash("sha256").update(body).digest("base64");
  if (req.headers.digest !== digest) problems.push(`Digest ${req.headers.digest} is not ${digest}`);
  const date = Date.parse(req.headers.date ?? "");
  if (!(Math.abs(Date.now() - date) < 300_000)) problems.push(`Date ${req.headers.date} is off`);
  if (req.headers.host !== PEER_DOMAIN) problems.push(`Host ${req.headers.host}`);
  return problems;
}

const peerServer = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const path = req.url.split("?")[0];
    if (req.method === "GET" && path === "/users/peer") {
      sink.actorFetches++;
      res.writeHead(200, { "content-type": "application/activity+json" });
      return res.end(ACTOR_DOC);
    }
    if (req.method === "POST" && /^\/(s|u)\/\d+\/inbox$/.test(path)) {
      const at = performance.now();
      if (sink.pid && !sink.firstTicks.has(sink.round)) sink.firstTicks.set(sink.round, ticks(sink.pid));
      const problems = checkDelivery(req, body);
      let activity = {};
      try { activity = JSON.parse(body); } catch { problems.push("body is not JSON"); }
      sink.deliveries.push({
        round: sink.round, path, at, problems,
        activityId: activity.id, type: activity.type, actor: activity.actor,
        objectId: typeof activity.object === "object" ? activity.object?.id : activity.object,
      });
      res.writeHead(202, { "content-type": "application/json" });
      return res.end("{}");
    }
    sink.unexpected.push(`${req.method} ${req.url}`);
    res.writeHead(404);
    res.end();
  });
});

// ---------------------------------------------------------------------------------------------
// A small keep-alive load generator (node:http): `concurrency` connections, each sending its
// next request as soon as the previous answer is in.
function send(agent, port, r) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: r.method, path: r.path, headers: r.headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(r.body);
  });
}

async function blast(agent, port, requests, expect, what) {
  let next = 0;
  const latencies = [];
  const bad = [];
  const worker = async () => {
    while (next < requests.length) {
      const r = requests[next++];
      const t = performance.now();
      let answer;
      try {
        answer = await send(agent, port, r);
      } catch (e) {
        answer = { status: 0, body: String(e) };
      }
      latencies.push(performance.now() - t);
      if (answer.status !== expect) bad.push(`${answer.status} ${answer.body.slice(0, 300)}`);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, requests.length) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  if (bad.length) throw new Error(`${what}: ${bad.length} of ${requests.length} answers were not ${expect}; first: ${bad.slice(0, 3).join(" | ")}`);
  return { n: requests.length, seconds, latencies };
}

// Kernel time (stime, clock ticks) of a process so far: the part of ticks() spent in syscalls
// (socket and disk I/O, among them SQLite's writes for the local D1).
function sysTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[12]);
}

// Waits until workerd has used no CPU for `quietMs` (queued work done; 10 ms tick resolution).
async function settle(pid, what, quietMs = 1500, maxMs = 120_000) {
  const start = performance.now();
  let last = ticks(pid);
  let since = start;
  while (performance.now() - start < maxMs) {
    await sleep(100);
    const now = ticks(pid);
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) {
      return;
    }
  }
  log(`warning: workerd still busy ${maxMs / 1000} s after ${what}`);
}

// One measured batch: workerd CPU across `requests`, sent by blast().
async function measure(pid, agent, port, requests, expect, what) {
  await settle(pid, `before ${what}`);
  const before = ticks(pid);
  const sysBefore = sysTicks(pid);
  const r = await blast(agent, port, requests, expect, what);
  const after = ticks(pid);
  const sample = {
    cpu: ((after - before) * MS_PER_TICK) / r.n,
    sys: (sysTicks(pid) - sysBefore) / Math.max(1, after - before),
    p50: percentile(r.latencies, 50),
    p99: percentile(r.latencies, 99),
    rps: r.n / r.seconds,
  };
  log(`${what}: ${sample.cpu.toFixed(3)} ms CPU/req, p50 ${sample.p50.toFixed(2)} ms, p99 ${sample.p99.toFixed(2)} ms, ${sample.rps.toFixed(0)} req/s`);
  return sample;
}

// ---------------------------------------------------------------------------------------------
// Signed inbound activities (draft-cavage, rsa-sha256 over (request-target) host date digest).
function signed(activity) {
  const body = Buffer.from(JSON.stringify(activity));
  const digest = "SHA-256=" + createHash("sha256").update(body).digest("base64");
  const date = new Date().toUTCString(); // IMF-fixdate
  const signingString = `(request-target): post /inbox\nhost: ${TOPI_HOST}\ndate: ${date}\ndigest: ${digest}`;
  const signature = sign("sha256", Buffer.from(signingString), privateKey).toString("base64");
  return {
    method: "POST",
    path: "/inbox",
    body,
    headers: {
      host: TOPI_HOST,
      date,
      digest,
      signature: `keyId="${KEY_ID}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="${signature}"`,
      "content-type": "application/activity+json",
      "content-length": String(body.length),
    },
  };
}

const OWNER_URI = `${TOPI}/users/alice`;
function createNote(tag) {
  const note = `${ACTOR}/statuses/${tag}`;
  const published = new Date().toISOString();
  return signed({
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${note}/activity`,
    type: "Create",
    actor: ACTOR,
    published,
    to: [OWNER_URI],
    cc: [],
    object: {
      id: note,
      type: "Note",
      attributedTo: ACTOR,
      published,
      url: note,
      to: [OWNER_URI],
      cc: [],
      content: `<p><span class="h-card"><a href="${OWNER_URI}" class="u-url mention">@<span>alice</span></a></span> benchmark note ${tag}</p>`,
      tag: [{ type: "Mention", href: OWNER_URI, name: `@alice@${TOPI_HOST}` }],
    },
  });
}
const like = (tag, object) => signed({
  "@context": "https://www.w3.org/ns/activitystreams",
  id: `${ACTOR}#likes/${tag}`,
  type: "Like",
  actor: ACTOR,
  object,
});

// ---------------------------------------------------------------------------------------------
const instances = [];
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  peerServer.close();
  for (const mf of instances) await mf.dispose().catch(() => {});
  process.exit(code);
}
process.on("SIGTERM", () => shutdown(143));
process.on("SIGINT", () => shutdown(130));

async function api(token, method, path, fields) {
  const res = await fetch(TOPI + path, {
    method,
    headers: { Authorization: `Bearer ${token}` },
    body: fields ? new URLSearchParams(fields) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

const checks = []; // [label, ok, detail]
const check = (label, ok, detail) => {
  checks.push([label, Boolean(ok), detail]);
  if (!ok) log(`CHECK FAILED: ${label}: ${detail}`);
};

async function main() {
  mkdirSync(stateDir, { recursive: true });
  // What is measured: build/ as Miniflare is about to load it.
  const git = (...args) => { try { return execFileSync("git", args, { cwd: root }).toString().trim(); } catch { return "?"; } };
  let srcModified = "";
  try { execFileSync("git", ["diff", "--quiet", "HEAD", "--", "src"], { cwd: root }); } catch { srcModified = ", src/ modified"; }
  const build = {
    time: new Date(Number(execFileSync("stat", ["-c", "%Y", join(root, "build/index_bg.wasm")]).toString()) * 1000),
    head: git("rev-parse", "--short", "HEAD") + srcModified,
  };
  const loadBefore = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const started = performance.now();
  await new Promise((resolve, reject) => peerServer.listen(PEER_PORT, "127.0.0.1", resolve).on("error", reject));

  const workerdLog = createWriteStream(join(stateDir, "topi-workerd.log"));
  let workerdOutput = "";
  const noop = new Miniflare(options("noop", NOOP_PORT, join(stateDir, "noop")));
  instances.push(noop);
  await noop.ready;
  const [noopPid] = workerdPids();
  const topi = new Miniflare(options("topi", PORT, join(stateDir, "topi"), {
    bindings: { ALLOW_PRIVATE_ADDRESSES: "true", FEDERATION_RETRY_SECONDS: "1" },
    // The worker consumes its own queue, as wrangler.toml says (batch timeout 1 s instead of 5,
    // 2 retries instead of 8); the dead-letter consumer records what still fails.
    queueConsumers: {
      "topi-federation": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 2, deadLetterQueue: "topi-federation-dlq" },
      "topi-federation-dlq": { maxBatchSize: 10, maxBatchTimeout: 1 },
    },
    handleRuntimeStdio(stdout, stderr) {
      for (const stream of [stdout, stderr]) {
        stream.on("data", (chunk) => {
          workerdOutput += chunk.toString();
          workerdLog.write(chunk);
        });
      }
    },
  }));
  instances.push(topi);
  await topi.ready;
  const topiPid = workerdPids().find((p) => p !== noopPid);
  sink.pid = topiPid;
  writeFileSync(join(stateDir, "workerd.pids"), `${noopPid} ${topiPid}\n`); // for federation.sh's cleanup
  for (const pid of [noopPid, topiPid]) execFileSync("taskset", ["-apc", WORKERD_CORE, String(pid)], { stdio: "ignore" });
  log(`Topi on :${PORT} (workerd ${topiPid}), no-op on :${NOOP_PORT} (workerd ${noopPid}), peer on :${PEER_PORT}; workerd on core ${WORKERD_CORE}`);

  await migrate(topi);
  const { token, first_start } = await tokenAndFirstStart(TOPI, topiPid);
  const db = await topi.getD1Database("DB");
  const owner = await db.prepare("SELECT CAST(id AS TEXT) AS id, uri FROM accounts WHERE domain IS NULL").first();
  if (!owner || owner.uri !== OWNER_URI) throw new Error(`unexpected owner ${JSON.stringify(owner)}`);
  const actor = await (await fetch(OWNER_URI, { headers: { Accept: "application/activity+json" } })).json();
  sink.topiKeyId = actor.publicKey?.id;
  sink.topiKey = createPublicKey(actor.publicKey?.publicKeyPem);
  const liked = await api(token, "POST", "/api/v1/statuses", { status: "a status for the peer to like", visibility: "public" });

  // --- Inbound ---------------------------------------------------------------------------------
  log(`signing ${2 * (WARMUP + RUNS * INBOUND)} activities`);
  const warmCreates = Array.from({ length: WARMUP }, (_, i) => createNote(`w${i}`));
  const warmLikes = Array.from({ length: WARMUP }, (_, i) => like(`w${i}`, liked.uri));
  const creates = Array.from({ length: RUNS }, (_, r) => Array.from({ length: INBOUND }, (_, i) => createNote(`r${r}-${i}`)));
  const likes = Array.from({ length: RUNS }, (_, r) => Array.from({ length: INBOUND }, (_, i) => like(`r${r}-${i}`, liked.uri)));
  const noopRequests = Array.from({ length: INBOUND }, () => ({ method: "GET", path: "/", headers: {} }));

  const topiAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const noopAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  await blast(noopAgent, NOOP_PORT, noopRequests.slice(0, 200), 200, "no-op warm-up");
  await settle(topiPid, "the first status");
  // The first signed request fetches the peer's actor (a signed GET as the instance actor) and
  // stores its key: a one-off cost, measured alone (10 ms ticks).
  const t0 = ticks(topiPid);
  await blast(topiAgent, PORT, warmCreates.slice(0, 1), 202, "first signed Create");
  const firstRequestMs = (ticks(topiPid) - t0) * MS_PER_TICK;
  await blast(topiAgent, PORT, warmCreates.slice(1), 202, "Create warm-up");
  await blast(topiAgent, PORT, warmLikes, 202, "Like warm-up");
  check("the peer's actor was fetched once (its key is cached)", sink.actorFetches === 1, `${sink.actorFetches} fetch(es) after warm-up`);

  // What an idle workerd uses: settle() waits 1.5 s of quiet inside some measurements.
  await settle(topiPid, "before the idle measurement");
  const idleBefore = ticks(topiPid);
  await sleep(5000);
  const idleMsPerSecond = ((ticks(topiPid) - idleBefore) * MS_PER_TICK) / 5;
  const samples = { noop: [], create: [], like: [] };
  for (let r = 0; r < RUNS; r++) {
    samples.noop.push(await measure(noopPid, noopAgent, NOOP_PORT, noopRequests, 200, `round ${r + 1}/${RUNS} no-op`));
    samples.create.push(await measure(topiPid, topiAgent, PORT, creates[r], 202, `round ${r + 1}/${RUNS} Create`));
    samples.like.push(await measure(topiPid, topiAgent, PORT, likes[r], 202, `round ${r + 1}/${RUNS} Like`));
  }
  topiAgent.destroy();
  noopAgent.destroy();
  check("the peer's actor was fetched once in all", sink.actorFetches === 1, `${sink.actorFetches} fetch(es)`);

  const peerAccount = await db.prepare("SELECT CAST(id AS TEXT) AS id FROM accounts WHERE uri = ?").bind(ACTOR).first();
  const count = async (sql) => (await db.prepare(sql).first()).n;
  const P = peerAccount?.id ?? "0";
  const sentCreates = WARMUP + RUNS * INBOUND;
  const stored = await count(`SELECT count(*) AS n FROM statuses WHERE account_id = ${P}`);
  check("every Create stored its Note", stored === sentCreates, `${stored} statuses from the peer, ${sentCreates} Creates sent`);
  const mentions = await count(`SELECT count(*) AS n FROM notifications WHERE account_id = ${owner.id} AND from_account_id = ${P} AND type = 'mention'`);
  check("every Create notified the owner", mentions === sentCreates, `${mentions} mention notifications`);
  const favourites = await count(`SELECT count(*) AS n FROM favourites WHERE account_id = ${P}`);
  const favNotes = await count(`SELECT count(*) AS n FROM notifications WHERE from_account_id = ${P} AND type = 'favourite'`);
  check("the Likes made one favourite and one notification", favourites === 1 && favNotes === 1, `${favourites} favourite(s), ${favNotes} notification(s)`);
  const seen = await count("SELECT count(*) AS n FROM inbox_seen");
  check("every activity id was remembered", seen === 2 * sentCreates, `${seen} inbox_seen rows for ${2 * sentCreates} activities`);

  // --- Outbound ----------------------------------------------------------------------------------
  // The cost of posting a status when nobody follows (the API request and the StatusCreated
  // event, which builds the Note and finds no inbox), to set beside the fan-out.
  // The queue holds the StatusCreated messages until 10 are in or 1 s has passed, so the first
  // STATUSES - 1 posts, when done within 0.9 s, measure the API request alone.
  const postSamples = [];
  const apiSamples = [];
  const uris = [];
  for (let r = 0; r < RUNS; r++) {
    await settle(topiPid, "before posting");
    const before = ticks(topiPid);
    const start = performance.now();
    let apiOnly = null;
    for (let i = 0; i < STATUSES; i++) {
      await api(token, "POST", "/api/v1/statuses", { status: `no followers yet ${r}-${i}`, visibility: "public" });
      if (i === STATUSES - 2 && performance.now() - start < 900) apiOnly = ((ticks(topiPid) - before) * MS_PER_TICK) / (STATUSES - 1);
    }
    await settle(topiPid, "posting without followers");
    postSamples.push(((ticks(topiPid) - before) * MS_PER_TICK) / STATUSES);
    if (apiOnly !== null) apiSamples.push(apiOnly);
    log(`round ${r + 1}/${RUNS} post without followers: ${postSamples.at(-1).toFixed(3)} ms CPU/status` +
      (apiOnly === null ? "" : `, of which the API request ${apiOnly.toFixed(3)} ms`));
  }

  // Followers: remote accounts f0… on the peer, each following the owner; shared inbox i % INBOXES.
  const AB = Date.now() - 10 * 86_400_000; // ids from ten days ago: no clash with ids made now
  const seq = `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ${FOLLOWERS})`;
  const now = Date.now();
  const seedStart = performance.now();
  await db.batch([
    db.prepare(`${seq} INSERT INTO accounts (id, username, domain, uri, url, display_name, inbox_url, shared_inbox_url,
        outbox_url, followers_url, following_url, public_key_id, fetched_at, created_at, updated_at)
      SELECT ((${AB} + i) << 16) | 3, 'f' || i, '${PEER_DOMAIN}', '${PEER}/u/' || i, '${PEER}/@f' || i, 'Follower ' || i,
        '${PEER}/u/' || i || '/inbox', '${PEER}/s/' || (i % ${INBOXES}) || '/inbox', '${PEER}/u/' || i || '/outbox',
        '${PEER}/u/' || i || '/followers', '${PEER}/u/' || i || '/following', '${PEER}/u/' || i || '#main-key',
        ${now}, ${now}, ${now}
      FROM seq`),
    db.prepare(`${seq} INSERT INTO follows (id, account_id, target_account_id, uri, accepted_at, created_at)
      SELECT ((${AB} + 100000 + i) << 16) | 4, ((${AB} + i) << 16) | 3, ${owner.id}, '${PEER}/u/' || i || '#follows/1', ${now}, ${now}
      FROM seq`),
    db.prepare(`UPDATE accounts SET followers_count = followers_count + ${FOLLOWERS} WHERE id = ${owner.id}`),
  ]);
  const seedMs = performance.now() - seedStart;
  const followers = await count(`SELECT count(*) AS n FROM follows WHERE target_account_id = ${owner.id} AND accepted_at IS NOT NULL`);
  const shared = await count(`SELECT count(DISTINCT coalesce(a.shared_inbox_url, a.inbox_url)) AS n FROM follows f JOIN accounts a ON a.id = f.account_id WHERE f.target_account_id = ${owner.id}`);
  check("followers seeded", followers === FOLLOWERS && shared === INBOXES, `${followers} followers over ${shared} shared inboxes`);
  // (In D1: the worker caches the owner's row for a while, so its API would show the old count.)
  const ownerCount = await count(`SELECT followers_count AS n FROM accounts WHERE id = ${owner.id}`);

  const fanout = [];
  const expected = STATUSES * INBOXES;
  for (let r = 0; r < RUNS; r++) {
    await settle(topiPid, "before the fan-out");
    sink.round = r + 1;
    const before = ticks(topiPid);
    const sysBefore = sysTicks(topiPid);
    const start = performance.now();
    for (let i = 0; i < STATUSES; i++) {
      const status = await api(token, "POST", "/api/v1/statuses", { status: `fan-out ${r}-${i}`, visibility: "public" });
      uris.push({ round: r + 1, uri: status.uri });
    }
    const postedMs = performance.now() - start;
    const mine = () => sink.deliveries.filter((d) => d.round === r + 1);
    const deadline = performance.now() + 60_000 + expected * 50;
    while (mine().length < expected && performance.now() < deadline) await sleep(50);
    const got = mine();
    await settle(topiPid, "the fan-out");
    const endTicks = ticks(topiPid);
    const cpuMs = (endTicks - before) * MS_PER_TICK;
    // Until the first delivery: the posts and their StatusCreated events, which fill the first
    // batch when there are 10 (or after 1 s); every Deliver message queues behind them.
    const firstTicks = sink.firstTicks.get(r + 1) ?? endTicks;
    const beforeFirstMs = (firstTicks - before) * MS_PER_TICK;
    const afterFirstMs = (endTicks - firstTicks) * MS_PER_TICK;
    const sys = (sysTicks(topiPid) - sysBefore) * MS_PER_TICK / Math.max(cpuMs, 1e-9);
    const first = Math.min(...got.map((d) => d.at));
    const last = Math.max(...got.map((d) => d.at));
    fanout.push({
      deliveries: got.length,
      cpu: cpuMs / Math.max(1, got.length),
      cpuTotal: cpuMs,
      sys,
      beforeFirstMs,
      afterFirstPerDelivery: afterFirstMs / Math.max(1, got.length),
      // The split holds when the first batch held every StatusCreated event: at most 10 posts,
      // all answered before the first delivery.
      split: STATUSES <= 10 && performance.now() - start > 0 && sink.firstTicks.has(r + 1) && postedMs < first - start,
      postedMs,
      firstMs: first - start,
      wallMs: last - start,
      perSecond: got.length / ((last - start) / 1000),
      steadyPerSecond: (got.length - 1) / ((last - first) / 1000),
    });
    const f = fanout.at(-1);
    log(`round ${r + 1}/${RUNS} fan-out: ${got.length}/${expected} deliveries, ${f.cpu.toFixed(3)} ms CPU/delivery, ` +
      `last delivery ${(f.wallMs / 1000).toFixed(2)} s after the first post (${f.perSecond.toFixed(0)}/s)`);
    if (got.length < expected) {
      check(`round ${r + 1}: all deliveries arrived`, false, `${got.length} of ${expected} within the deadline`);
      break;
    }
  }
  await sleep(3000); // late duplicates (queue retries) would arrive now
  await settle(topiPid, "the last round");

  // Every status: one Create to each shared inbox, exactly once; nothing to personal inboxes.
  const byObject = new Map();
  for (const d of sink.deliveries) {
    if (!byObject.has(d.objectId)) byObject.set(d.objectId, []);
    byObject.get(d.objectId).push(d);
  }
  const wantPaths = Array.from({ length: INBOXES }, (_, k) => `/s/${k}/inbox`).sort().join(",");
  let exact = 0;
  const wrong = [];
  for (const { uri } of uris) {
    const ds = byObject.get(uri) ?? [];
    const paths = ds.map((d) => d.path).sort().join(",");
    const activityIds = new Set(ds.map((d) => d.activityId));
    if (paths === wantPaths && activityIds.size === 1 && ds.every((d) => d.type === "Create" && d.actor === OWNER_URI)) exact++;
    else wrong.push(`${uri}: ${ds.length} deliveries to ${new Set(ds.map((d) => d.path)).size} inboxes, ${activityIds.size} activity id(s)`);
  }
  check(`each status reached each of the ${INBOXES} shared inboxes exactly once`, exact === uris.length && uris.length === RUNS * STATUSES,
    `${exact} of ${RUNS * STATUSES} statuses${wrong.length ? `; ${wrong.slice(0, 3).join("; ")}` : ""}`);
  const perInboxActivity = new Map();
  for (const d of sink.deliveries) {
    const key = `${d.path} ${d.activityId}`;
    perInboxActivity.set(key, (perInboxActivity.get(key) ?? 0) + 1);
  }
  const dupes = [...perInboxActivity.values()].filter((n) => n > 1).length;
  check("no inbox got the same activity twice", dupes === 0, `${dupes} (inbox, activity) pairs delivered more than once`);
  const personal = sink.deliveries.filter((d) => d.path.startsWith("/u/")).length;
  check("nothing went to personal inboxes", personal === 0, `${personal} deliveries to /u/N/inbox`);
  const strays = sink.deliveries.filter((d) => !uris.some((u) => u.uri === d.objectId)).length;
  check("no other activity was delivered", strays === 0, `${strays} deliveries of other activities`);
  const bad = sink.deliveries.filter((d) => d.problems.length);
  check("every delivery's signature and Digest verify", bad.length === 0,
    `${sink.deliveries.length - bad.length} of ${sink.deliveries.length} valid${bad.length ? `; first problems: ${bad[0].problems.join(", ")}` : ""}`);
  check("the peer got no unexpected request", sink.unexpected.length === 0, `${sink.unexpected.length}${sink.unexpected.length ? `: ${sink.unexpected.slice(0, 3).join(", ")}` : ""}`);
  const failures = await count("SELECT count(*) AS n FROM delivery_failures");
  check("no delivery failed (delivery_failures is empty)", failures === 0, `${failures} rows`);
  const outbox = await count("SELECT count(*) AS n FROM outbox_activities");
  check("one stored activity per status posted with followers", outbox === uris.length, `${outbox} outbox_activities rows`);
  const unreachable = await count(`SELECT count(*) AS n FROM instances WHERE unreachable_since IS NOT NULL`);
  check("no peer marked unreachable", unreachable === 0, `${unreachable}`);
  check("the owner's followers_count (D1) counts the seeded followers", ownerCount === FOLLOWERS, `${ownerCount}`);

  // --- Report ------------------------------------------------------------------------------------
  const elapsed = (performance.now() - started) / 1000;
  const loadAfter = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  const version = (p) => JSON.parse(readFileSync(join(root, "node_modules", p, "package.json"), "utf8")).version;
  const utc = (d) => d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const med = (xs, k) => median(xs.map((x) => x[k]));
  const floor = med(samples.noop, "cpu");
  const f3 = (x) => x.toFixed(3);
  const f2 = (x) => x.toFixed(2);
  const postMs = median(postSamples);
  const out = [];
  out.push("## Topi federation: workerd CPU per signed inbox POST and per outbound delivery (method A)", "");
  out.push(`${utc(new Date())}; build/ of ${utc(build.time)} (HEAD ${build.head}); ` +
    `workerd ${version("@cloudflare/workerd-linux-64")}, miniflare ${version("miniflare")}, node ${process.version}.`);
  out.push(`Median of ${RUNS} round(s). Workerd on core ${WORKERD_CORE}; this script (load, peer, sink) on core 0. ` +
    `Whole run ${elapsed.toFixed(0)} s. Load average before: ${loadBefore}, after: ${loadAfter}.`, "");
  out.push(`Inbound: ${INBOUND} pre-signed draft-cavage POSTs to \`/inbox\` per kind and round (rsa-sha256 over ` +
    `\`(request-target) host date digest\`, RSA-2048 peer key fetched once and cached), ${CONCURRENCY} keep-alive ` +
    `connections (node:http), after ${WARMUP} warm-up POSTs of each kind; every answer 202. The no-op floor is ` +
    `bench/noop.mjs under Miniflare, loaded the same way.`, "");
  out.push("| inbound | CPU ms/req (median) | above no-op floor | of which kernel | p50 ms | p99 ms | req/s |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const [key, label] of [
    ["noop", "JS no-op worker (floor), `GET /`"],
    ["create", "signed `Create` of a Note mentioning the owner (verify, store, notify)"],
    ["like", "signed `Like` of the owner's status (verify; already liked after the first)"],
  ]) {
    const cpu = med(samples[key], "cpu");
    out.push(`| ${label} | ${f3(cpu)} | ${key === "noop" ? "—" : (cpu >= floor ? "+" : "") + f3(cpu - floor)} | ` +
      `${(100 * med(samples[key], "sys")).toFixed(0)} % | ${f2(med(samples[key], "p50"))} | ${f2(med(samples[key], "p99"))} | ${med(samples[key], "rps").toFixed(0)} |`);
  }
  out.push("", `Per round (CPU ms/req): no-op ${samples.noop.map((s) => f3(s.cpu)).join(", ")}; ` +
    `Create ${samples.create.map((s) => f3(s.cpu)).join(", ")}; Like ${samples.like.map((s) => f3(s.cpu)).join(", ")}. ` +
    `One-off: the first signed POST, which fetches the peer's actor with a signed GET and stores it, took ` +
    `${firstRequestMs.toFixed(0)} ms of workerd CPU (10 ms ticks). "Of which kernel" is the share of stime (syscalls: ` +
    `sockets, and SQLite's disk writes for the local D1). An idle Topi workerd used ${f2(idleMsPerSecond)} ms of CPU per second.`, "");
  const fo = fanout.length ? fanout : [{ deliveries: 0, cpu: NaN, cpuTotal: NaN, postedMs: NaN, firstMs: NaN, wallMs: NaN, perSecond: NaN, steadyPerSecond: NaN }];
  const perDelivery = med(fo, "cpu");
  const lessPost = (median(fo.map((x) => x.cpuTotal)) - STATUSES * postMs) / expected;
  out.push(`Outbound: ${FOLLOWERS} remote followers seeded in D1 over ${INBOXES} shared inboxes, all served by the peer ` +
    `(loopback), which answers 202 and checks every delivery. Per round, ${STATUSES} public statuses posted one ` +
    `after the other through \`POST /api/v1/statuses\`; the worker consumes its own queue (batches of 10, batch ` +
    `timeout 1 s; Miniflare dispatches one batch at a time and Topi delivers a batch's messages one after the other). ` +
    `CPU is the workerd change from before the first post until the queue is idle again, so it includes the ` +
    `${STATUSES} API requests, the fan-out step (build and sign the Create with its FEP-8b32 proofs, store it, ` +
    `queue ${INBOXES} messages) and Miniflare's queue broker, which runs in the same workerd.`, "");
  const apiMs = apiSamples.length ? median(apiSamples) : NaN;
  const na = (x, f = f2) => (Number.isFinite(x) ? f(x) : "n/a");
  out.push("| outbound | per round | CPU ms (median) | of which kernel | deliveries/s, first post → last delivery | deliveries/s, first → last delivery | last delivery after first post, s |",
    "|---|---:|---:|---:|---:|---:|---:|");
  out.push(`| \`POST /api/v1/statuses\` alone (no follower; before the queue hands over the event) | ${STATUSES - 1} statuses | ${na(apiMs)} per status | — | — | — | — |`);
  out.push(`| the StatusCreated event with no inbox (build the Note and its proofs, find no follower) | ${STATUSES} statuses | ${na(postMs - apiMs)} per status | — | — | — | — |`);
  const split = fo.filter((x) => x.split);
  const fanoutStep = split.length ? median(split.map((x) => x.beforeFirstMs)) / STATUSES - apiMs : NaN;
  const deliveryStep = split.length ? median(split.map((x) => x.afterFirstPerDelivery)) : NaN;
  out.push(`| the StatusCreated event with ${INBOXES} inboxes: build the Note and its proofs, store the Create, queue ${INBOXES} messages ` +
    `(CPU until the first delivery ÷ statuses, less the API request) | ${STATUSES} statuses | ${na(fanoutStep)} per status | — | — | — | — |`);
  out.push(`| one delivery: load the activity, sign, POST, ack (CPU from the first delivery until the queue is idle ÷ deliveries) | ` +
    `${expected} deliveries | ${na(deliveryStep, f3)} per delivery | — | — | — | — |`);
  out.push(`| **fan-out to ${FOLLOWERS} followers / ${INBOXES} shared inboxes: all of the above ÷ deliveries** | ${expected} deliveries | **${f3(perDelivery)}** per delivery | ` +
    `${(100 * med(fo, "sys")).toFixed(0)} % | ${med(fo, "perSecond").toFixed(0)} | ${med(fo, "steadyPerSecond").toFixed(0)} | ${f2(med(fo, "wallMs") / 1000)} |`);
  out.push(`| the same less the posts' no-follower cost (API request + event) | ${expected} deliveries | ${f3(lessPost)} per delivery | — | — | — | — |`);
  out.push("", `Per round: ${fo.map((x) => `${x.deliveries} deliveries, ${f2(x.cpuTotal)} ms CPU (${f3(x.cpu)}/delivery), ` +
    `posts done after ${f2(x.postedMs / 1000)} s, first delivery after ${f2(x.firstMs / 1000)} s, last after ${f2(x.wallMs / 1000)} s`).join("; ")}. ` +
    `Posting with no follower, per round (ms/status, API request and event): ${postSamples.map(f2).join(", ")}; the API request alone: ` +
    `${apiSamples.length ? apiSamples.map(f2).join(", ") : "not measured (the posts took over 0.9 s)"}. ` +
    `The split at the first delivery was possible in ${split.length} of ${fo.length} round(s) (it needs at most 10 statuses, all ` +
    `posted before the first delivery). 10 ms ticks: the per-status figures rest on a few hundred ms per round. Seeding the followers took ${seedMs.toFixed(0)} ms.`, "");
  out.push("Checks:", "");
  for (const [label, ok, detail] of checks) out.push(`- ${ok ? "✓" : "✗ FAILED:"} ${label} (${detail})`);
  const lines = workerdOutput.split("\n").filter((l) => l.trim());
  const likeLines = lines.filter((l) => /^inbox: ignored .*#likes\/.*: already liked$/.test(l)).length;
  const other = lines.filter((l) => !/^inbox: ignored .*#likes\/.*: already liked$/.test(l));
  out.push("", `The worker logged ${lines.length} lines: ${likeLines} "inbox: ignored …: already liked" (the repeat Likes)` +
    (other.length ? `, and ${other.length} others, first: ${other.slice(0, 3).map((l) => `\`${l.slice(0, 200)}\``).join(", ")}` : ", nothing else") +
    `. First-start costs: first app registration ${first_start.instance_keys_ms} ms, owner creation and first login ` +
    `${first_start.owner_creation_and_first_login_ms} ms.`);
  const report = out.join("\n");
  writeFileSync(outPath, report + "\n");
  console.log(report);
  return checks.every(([, ok]) => ok) ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`federation: ${e.stack ?? e}`);
  if (checks.length) console.error(checks.map(([l, ok, d]) => `${ok ? "ok" : "FAILED"}: ${l} (${d})`).join("\n"));
}
await shutdown(code);
