// Starts Topi under Miniflare (as bench/cpu.mjs does: fresh D1, migrations, owner token), seeds
// D1 with N statuses for bench/timelines.sh, checks the seeding through the API, then reports.
//   node bench/seed.mjs PORT STATE_DIR OUT_JSON N
// OUT_JSON gets cpu.mjs's fields plus: n, seed_ms, search_word, rows (counts per table),
// checks (items the API returned), and for the main queries of the measured endpoints as found in
// build/index_bg.wasm: sql, plans (EXPLAIN QUERY PLAN), sql_rows and sql_ms (workerd CPU ms per
// run of each query alone, less D1's own cost); see explain(). It stays up until SIGTERM/SIGINT.
//
// Everything is generated inside SQLite by a few INSERT … SELECT over a recursive CTE, so 100,000
// statuses take seconds. What is seeded (owner = alice, created by the token step):
// - 999 remote accounts u1…u999 @remote.example; the owner follows u1…u200 (accepted).
// - N statuses over the last 30 days, ids (unix_ms << 16) | seq growing with time, spread over
//   the owner (about 0.2 %) and the 999 accounts by a multiplicative hash; 90 % public, 5 %
//   unlisted, 5 % private. Content is `<p>` + 8 words of a 200-word vocabulary (so each word is
//   in about 4 % of statuses) + `</p>`; 1 in 10 carries a hashtag (and its link) of 50 tags:
//   `bench` on 1 % of all statuses, `rare` on exactly 5 statuses whatever N is.
// - tags + status_tags rows, statuses_fts rows (rowid = status id; local statuses keep `text`),
//   home_feed rows for the owner: the owner's statuses and those of the 200 followed accounts,
//   accounts.statuses_count / last_status_at / follower counts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root, serve, ticks } from "./cpu.mjs";

const [portArg, stateDir, outPath, nArg] = process.argv.slice(2);
const N = Number(nArg);
if (!portArg || !stateDir || !outPath || !Number.isInteger(N) || N < 1000) {
  console.error("usage: node bench/seed.mjs PORT STATE_DIR OUT_JSON N   (N >= 1000)");
  process.exit(2);
}
const port = Number(portArg);
const base = `http://127.0.0.1:${port}`;

const ACCOUNTS = 999;
const FOLLOWED = 200;
const TAGS = 50; // tag 0 is `bench`, 1…48 `topicJ`, 49 is `rare`
const RARE = 5;
const SPAN_MS = 30 * 86_400_000;
export const SEARCH_WORD = "lantern";
const VOCABULARY = `apple river stone cloud forest garden window silver morning candle orange valley
  thunder meadow pepper island lantern castle feather rocket velvet copper marble anchor ladder bridge
  canyon desert falcon glacier hammer jungle kettle lemon mirror needle ocean pencil quartz saddle
  tunnel violet walnut yellow zebra basket button carpet dragon engine fabric ginger helmet insect
  jacket kitten lizard magnet napkin oyster parrot rabbit salmon tomato umbrella vessel wizard banner
  cactus dolphin eagle fossil guitar hollow iceberg jigsaw koala lobster mango nectar olive pirate
  quiver raven sponge turtle unicorn vanilla willow yogurt acorn blossom cobalt drizzle ember frost
  galaxy harvest ivory jasmine kernel lagoon mosaic nugget orchid pebble quill ripple saffron timber
  upland vortex whisker yonder zenith almond breeze cedar dune echo fern grove heron inlet juniper
  kelp lichen maple nimbus oasis prairie quarry reef spruce tide urchin vale wren amber bramble coral
  dusk estuary fjord gull hazel indigo jetty knoll lotus moss nettle otter plume quince rust sable
  thistle umber verbena wharf yarrow zephyr attic beacon cellar dome easel forge gable hearth igloo
  kiln loft manor nook oriel parlor quay rampart spire turret vault wick arbor bayou cove delta fen
  gorge heath isle kame lea marsh narrows outcrop peak ridge shoal tarn weir brook creek`
  .split(/\s+/).filter(Boolean);
const WORDS = 8;

if (new Set(VOCABULARY).size !== VOCABULARY.length) throw new Error("duplicate vocabulary words");
if (VOCABULARY.filter((w) => w.startsWith(SEARCH_WORD)).length !== 1) throw new Error("search word is ambiguous");
const V = VOCABULARY.length;

// The deterministic shape of status i, as SQL expressions over the CTE column `i`.
// hash(i, m, k): the top bits of a 32-bit multiplicative hash, scaled to 0…k-1.
const hash = (m, k) => `((((i + 1) * ${m}) % 4294967296) * ${k} / 4294967296)`;
// 0 = the owner (also every status with i % 1000 = 500, so that even N = 1000 has some), else
// remote account uA.
const ACC = `(CASE WHEN i % 1000 = 500 THEN 0 ELSE ${hash(2654435761, ACCOUNTS + 1)} END)`;
const VIS = hash(2246822519, 100);
const WORD = (k) => `(SELECT w FROM bench_words WHERE n = ${hash(2654435761 + 2 * 40503 * (k + 1), V)})`;
const TAGGED = "(i % 10 = 3)";
// Tag index of a tagged status: `bench` when i % 100 = 3 (1 %), `rare` for RARE statuses spread
// over the whole range, else one of topic1…48.
const RARE_AT = Array.from({ length: RARE }, (_, r) => Math.floor((N / RARE) * r / 100) * 100 + 13);
const TAG = `(CASE WHEN i % 100 = 3 THEN 0 WHEN i IN (${RARE_AT.join(",")}) THEN ${TAGS - 1} ` +
  `ELSE 1 + ((i / 10) * 17) % ${TAGS - 2} END)`;
const TAG_NAME = (j) => `(CASE ${j} WHEN 0 THEN 'bench' WHEN ${TAGS - 1} THEN 'rare' ELSE 'topic' || ${j} END)`;

const sqlText = (s) => `'${String(s).replaceAll("'", "''")}'`;
const seq = (n) => `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ${n})`;

async function seed(db) {
  const owner = await db.prepare("SELECT CAST(id AS TEXT) AS id, uri, username FROM accounts WHERE domain IS NULL").first();
  if (!owner || !/^\d+$/.test(owner.id)) throw new Error(`no owner account: ${JSON.stringify(owner)}`);
  const O = owner.id; // > 2^53: only ever inlined as SQL text, never a JS number
  const now = Date.now();
  const SB = now - SPAN_MS - 60_000; // first status; the last is a minute ago
  const STEP = Math.floor(SPAN_MS / N);
  const AB = SB - 86_400_000; // accounts a day before the first status
  const TB = AB - 86_400_000; // tags
  const FB = AB + 10_000; // follows
  const statusId = `(((${SB} + i * ${STEP}) << 16) | (i % 65536))`;
  const accountId = (a) => `(((${AB} + ${a}) << 16) | 1)`;
  const tagId = (j) => `(((${TB} + ${j}) << 16) | 2)`;
  const words = Array.from({ length: WORDS }, (_, k) => WORD(k)).join(" || ' ' || ");
  const tagLink = `'<a href="${base}/tags/' || ${TAG_NAME("j")} || '" class="mention hashtag" rel="tag">#<span>' || ${TAG_NAME("j")} || '</span></a>'`;

  const steps = [
    ["words", [
      "CREATE TABLE bench_words (n INTEGER PRIMARY KEY, w TEXT NOT NULL)",
      `INSERT INTO bench_words (n, w) SELECT key, value FROM json_each(${sqlText(JSON.stringify(VOCABULARY))})`,
    ]],
    ["accounts", [
      `${seq(ACCOUNTS + 1)} INSERT INTO accounts (id, username, domain, uri, url, display_name, note, inbox_url,
         shared_inbox_url, outbox_url, followers_url, following_url, public_key_id, fetched_at, created_at, updated_at)
       SELECT ${accountId("i")}, 'u' || i, 'remote.example', 'https://remote.example/users/u' || i,
         'https://remote.example/@u' || i, 'Remote user ' || i, '<p>Account number ' || i || ' of the benchmark.</p>',
         'https://remote.example/users/u' || i || '/inbox', 'https://remote.example/inbox',
         'https://remote.example/users/u' || i || '/outbox', 'https://remote.example/users/u' || i || '/followers',
         'https://remote.example/users/u' || i || '/following', 'https://remote.example/users/u' || i || '#main-key',
         ${now}, ${AB} + i, ${AB} + i
       FROM seq WHERE i >= 1`,
    ]],
    ["tags", [
      `${seq(TAGS)} INSERT INTO tags (id, name, normalized, created_at)
       SELECT ${tagId("i")}, ${TAG_NAME("i")}, ${TAG_NAME("i")}, ${TB} + i FROM seq`,
    ]],
    ["statuses", [
      `${seq(N)}, g AS (
         SELECT i, ${statusId} AS id, ${SB} + i * ${STEP} AS ms, ${ACC} AS a, ${VIS} AS v,
           ${words} AS plain, CASE WHEN ${TAGGED} THEN ${TAG} END AS j FROM seq)
       INSERT INTO statuses (id, uri, url, account_id, local, visibility, content, text, language,
         conversation_id, created_at, updated_at)
       SELECT id,
         CASE a WHEN 0 THEN ${sqlText(owner.uri)} || '/statuses/' || id ELSE 'https://remote.example/users/u' || a || '/statuses/' || id END,
         CASE a WHEN 0 THEN ${sqlText(`${base}/@${owner.username}/`)} || id ELSE 'https://remote.example/@u' || a || '/' || id END,
         CASE a WHEN 0 THEN ${O} ELSE ${accountId("a")} END,
         a = 0,
         CASE WHEN v < 90 THEN 'public' WHEN v < 95 THEN 'unlisted' ELSE 'private' END,
         '<p>' || plain || CASE WHEN j IS NULL THEN '' ELSE ' ' || ${tagLink} END || '</p>',
         plain || CASE WHEN j IS NULL THEN '' ELSE ' #' || ${TAG_NAME("j")} END,
         'en', id, ms, ms
       FROM g`,
      `${seq(N)} INSERT INTO status_tags (tag_id, status_id)
       SELECT ${tagId(TAG)}, ${statusId} FROM seq WHERE ${TAGGED}`,
    ]],
    ["fts", [
      // As store::statuses::create: spoiler_text, a space, the text. Remote statuses have no
      // source text, so theirs is dropped once it is indexed.
      "INSERT INTO statuses_fts (rowid, text) SELECT id, spoiler_text || ' ' || text FROM statuses",
      "UPDATE statuses SET text = NULL WHERE local = 0",
    ]],
    ["follows and home_feed", [
      `${seq(FOLLOWED + 1)} INSERT INTO follows (id, account_id, target_account_id, uri, accepted_at, created_at)
       SELECT ((${FB} + i) << 16) | 3, ${O}, ${accountId("i")}, ${sqlText(owner.uri)} || '#follows/' || i,
         ${FB} + i, ${FB} + i FROM seq WHERE i >= 1`,
      `INSERT INTO home_feed (account_id, status_id, reblog_of_id)
       SELECT ${O}, s.id, NULL FROM statuses s WHERE s.account_id = ${O}
         OR s.account_id IN (SELECT target_account_id FROM follows WHERE account_id = ${O} AND accepted_at IS NOT NULL)`,
    ]],
    ["counts", [
      `UPDATE accounts SET statuses_count = (SELECT count(*) FROM statuses s WHERE s.account_id = accounts.id),
         last_status_at = (SELECT max(created_at) FROM statuses s WHERE s.account_id = accounts.id)`,
      `UPDATE accounts SET following_count = ${FOLLOWED} WHERE id = ${O}`,
      `UPDATE accounts SET followers_count = 1 WHERE id IN (SELECT target_account_id FROM follows WHERE account_id = ${O})`,
      "DROP TABLE bench_words",
    ]],
  ];
  const timings = {};
  for (const [name, sqls] of steps) {
    const t = performance.now();
    for (const sql of sqls) {
      try {
        await db.prepare(sql).run();
      } catch (e) {
        throw new Error(`seeding ${name}: ${e.message}\n${sql}`);
      }
    }
    timings[name] = Math.round(performance.now() - t);
  }
  return { owner: O, timings };
}

async function rows(db) {
  const count = async (sql) => (await db.prepare(sql).first()).n;
  return {
    accounts: await count("SELECT count(*) AS n FROM accounts"),
    statuses: await count("SELECT count(*) AS n FROM statuses"),
    home_feed: await count("SELECT count(*) AS n FROM home_feed"),
    status_tags: await count("SELECT count(*) AS n FROM status_tags"),
    bench_public: await count("SELECT count(*) AS n FROM status_tags st JOIN tags t ON t.id = st.tag_id " +
      "JOIN statuses s ON s.id = st.status_id WHERE t.normalized = 'bench' AND s.visibility = 'public'"),
    rare: await count("SELECT count(*) AS n FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE t.normalized = 'rare'"),
    search_word_matches: await count(`SELECT count(*) AS n FROM statuses_fts WHERE statuses_fts MATCH '"${SEARCH_WORD}"*'`),
  };
}

async function api(path, token) {
  const res = await fetch(base + path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

// The API sees the seeded data: full home page, tagged statuses, search hits.
async function check(token, counts) {
  const must = (ok, what) => { if (!ok) throw new Error(`seeding check failed: ${what}`); };
  const home = await api("/api/v1/timelines/home?limit=40", token);
  must(home.length === 40, `home returned ${home.length} statuses, not 40`);
  must(new Set(home.map((s) => s.account.acct)).size > 1, "home has a single author");
  const tag = await api("/api/v1/timelines/tag/bench?limit=40");
  must(tag.length === Math.min(40, counts.bench_public), `tag/bench returned ${tag.length}, D1 has ${counts.bench_public} public`);
  must(tag.every((s) => s.tags.some((t) => t.name === "bench")), "a tag/bench status lacks the tag");
  const rare = await api("/api/v1/timelines/tag/rare?limit=40");
  must(rare.length >= 1, "tag/rare returned nothing");
  const search = await api(`/api/v2/search?q=${SEARCH_WORD}&type=statuses`, token);
  must(search.statuses.length === Math.min(20, counts.search_word_matches),
    `search returned ${search.statuses.length}, FTS has ${counts.search_word_matches} matches`);
  must(search.statuses.every((s) => s.content.includes(SEARCH_WORD)), "a search hit lacks the word");
  const local = await api("/api/v1/timelines/public?local=true&limit=40");
  must(local.length >= 1 && local.every((s) => s.account.acct === "alice"), `public?local=true returned ${local.length}`);
  return { home: home.length, tag_bench: tag.length, tag_rare: rare.length, search: search.statuses.length, public_local: local.length };
}

// The SQL of the measured endpoints, taken from the build under test (not copied from src/, which
// may have moved on): Rust string literals sit in build/index_bg.wasm's data as printable runs,
// one literal straight after the other, so a run is split where a statement keyword follows
// anything but a space or "(". Each entry: a name, then [predicate, SQL that ends the statement,
// arguments by parameter number] alternatives, newest code first. `c` has owner, ids (the first
// home page's status ids, JSON) and accounts (their authors, JSON).
const statusPage = (c) => ({ 1: c.owner, 2: c.ids });
const SPECS = [
  ["home", [[(s) => s.includes("FROM home_feed h JOIN statuses s") && !s.includes("list_id = ?5"),
    "ORDER BY h.status_id DESC LIMIT ?4", (c) => ({ 1: c.owner, 4: 40 })]]],
  ...["bench", "rare"].map((tag) => [`tag_${tag}`, [
    [(s) => s.includes("FROM status_tags st") && s.includes("json_extract(?5, '$[0]')"),
      "DESC LIMIT ?4", () => ({ 4: 40, 5: `["${tag}"]`, 6: "[]", 7: "[]", 9: 0 })],
    [(s) => s.includes("WHERE t.normalized IN (SELECT value FROM json_each(?5))") && s.includes("s.visibility = 'public'"),
      "DESC LIMIT ?4", () => ({ 4: 40, 5: `["${tag}"]`, 6: "[]", 7: "[]", 9: 0 })],
  ]]),
  ["search", [[(s) => s.includes("statuses_fts MATCH ?1") && s.includes("JOIN statuses s"),
    "LIMIT ?3 OFFSET ?4", () => ({ 1: `"${SEARCH_WORD}"*`, 3: 20, 4: 0 })]]],
  ["public_local", [
    [(s) => s.includes("FROM statuses s WHERE s.visibility = 'public' AND s.local = 1"), "DESC LIMIT ?4", () => ({ 4: 40, 5: 0 })],
    [(s) => s.includes("FROM statuses s WHERE s.visibility = 'public'") && s.includes("s.local = ?5") && !s.includes("tags"),
      "DESC LIMIT ?4", () => ({ 4: 40, 5: 1, 6: 0 })],
  ]],
  ["render_statuses_get_many", [[(s) => s.includes("AS muted FROM statuses s WHERE s.id IN (SELECT value FROM json_each(?2))"),
    "json_each(?2)) AND s.deleted_at IS NULL", statusPage]]],
  ["render_accounts_get_many", [[(s) => s.startsWith("SELECT CAST(a.id AS TEXT) AS id, a.username"),
    "FROM accounts a WHERE a.id IN (SELECT value FROM json_each(?1))", (c) => ({ 1: c.accounts })]]],
  ["render_tags_of", [[(s) => s.includes("FROM status_tags st JOIN tags t ON t.id = st.tag_id WHERE st.status_id IN"),
    "ORDER BY t.name", (c) => ({ 1: c.ids })]]],
  ["render_mentions_of", [[(s) => s.includes("FROM mentions m JOIN accounts a ON a.id = m.account_id WHERE m.status_id IN"),
    "json_each(?1))", (c) => ({ 1: c.ids })]]],
  ["render_polls_of", [[(s) => s.includes("FROM polls p WHERE p.status_id IN"), "json_each(?2))", statusPage]]],
  ["render_media_of", [[(s) => s.includes("FROM media_attachments WHERE status_id IN"), "ORDER BY id", (c) => ({ 1: c.ids })]]],
];

function builtStatements() {
  const text = readFileSync(join(root, "build/index_bg.wasm")).toString("latin1");
  const out = [];
  for (const run of text.match(/[\x20-\x7e]{20,}/g) ?? []) {
    out.push(...run.split(/(?<=[^ (])(?=(?:SELECT|INSERT|UPDATE|DELETE|WITH) )/));
  }
  return out;
}

// [name, sql, args] for each spec found in the build (sql null when none matched).
function queries(c) {
  const stmts = builtStatements().filter((s) => s.startsWith("SELECT "));
  return SPECS.map(([name, alternatives]) => {
    for (const [pred, end, args] of alternatives) {
      const found = stmts.find((s) => pred(s) && s.includes(end));
      if (!found) continue;
      const sql = found.slice(0, found.indexOf(end) + end.length);
      const n = Math.max(0, ...[...sql.matchAll(/\?(\d+)/g)].map((m) => Number(m[1])));
      const byNumber = args(c);
      return [name, sql, Array.from({ length: n }, (_, i) => byNumber[i + 1] ?? null)];
    }
    return [name, null, []];
  });
}

// Plans, and what each query costs alone. D1's meta.duration does not help here (workerd's
// clock stands still while it computes), so each query runs RUNS times in batches of 20 and
// costs the workerd CPU (utime + stime) that took, less that of as many `SELECT 1` (D1's own
// per-statement cost under Miniflare).
const RUNS = 200;
async function explain(db, owner, pid) {
  const page = await db.prepare(
    "SELECT (SELECT json_group_array(status_id) FROM (SELECT status_id FROM home_feed WHERE account_id = ?1 " +
    "ORDER BY status_id DESC LIMIT 40)) AS ids, (SELECT json_group_array(DISTINCT s.account_id) FROM statuses s " +
    "WHERE s.id IN (SELECT status_id FROM home_feed WHERE account_id = ?1 ORDER BY status_id DESC LIMIT 40)) AS accounts"
  ).bind(owner).first();
  const msPerTick = 1000 / Number(process.env.CLK_TCK || 100);
  const cpuMs = async (sql, args) => {
    const stmts = Array.from({ length: 20 }, () => db.prepare(sql).bind(...args));
    await db.batch(stmts);
    const t0 = ticks(pid);
    for (let k = 0; k < RUNS / 20; k++) await db.batch(stmts);
    return ((ticks(pid) - t0) * msPerTick) / RUNS;
  };
  const out = { sql: {}, plans: {}, sql_rows: {}, sql_ms: {} };
  const base = await cpuMs("SELECT 1", []);
  out.sql_ms.select_1 = base;
  for (const [name, sql, args] of queries({ owner, ids: page.ids, accounts: page.accounts })) {
    out.sql[name] = sql;
    if (!sql) {
      out.plans[name] = ["(not found in build/index_bg.wasm)"];
      out.sql_ms[name] = null;
      continue;
    }
    const plan = await db.prepare("EXPLAIN QUERY PLAN " + sql).bind(...args).all();
    out.plans[name] = plan.results.map((r) => `${r.id}/${r.parent} ${r.detail}`);
    out.sql_rows[name] = (await db.prepare(sql).bind(...args).all()).results.length;
    out.sql_ms[name] = Math.round(((await cpuMs(sql, args)) - base) * 1000) / 1000;
  }
  return out;
}

await serve("topi", port, stateDir, outPath, async (mf, info) => {
  const db = await mf.getD1Database("DB");
  const t0 = performance.now();
  const { owner, timings } = await seed(db);
  info.seed_ms = Math.round(performance.now() - t0);
  info.seed_steps_ms = timings;
  info.n = N;
  info.search_word = SEARCH_WORD;
  info.rows = await rows(db);
  if (info.rows.statuses !== N) throw new Error(`seeded ${info.rows.statuses} statuses, not ${N}`);
  info.checks = await check(info.token, info.rows);
  Object.assign(info, await explain(db, owner, info.workerd_pid));
  console.error(`seeded ${N} statuses in ${info.seed_ms} ms: ${JSON.stringify(info.seed_steps_ms)}`);
});
