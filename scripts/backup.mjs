// The Node half of `make backup` and `make restore` (scripts/backup.sh, scripts/restore.sh): it
// talks to the instance's D1 database (binding DB) and R2 bucket (binding MEDIA) through
// wrangler's getPlatformProxy, either in a local state folder (`--persist-to DIR`, what
// `wrangler dev --persist-to DIR` uses) or on the Cloudflare account (`--remote`, remote bindings:
// log in with `npx wrangler login` or set CLOUDFLARE_API_TOKEN).
//
//   node scripts/backup.mjs dump    --out DIR     (--persist-to STATE | --remote)
//   node scripts/backup.mjs inspect               (--persist-to STATE | --remote)
//   node scripts/backup.mjs wipe                  (--persist-to STATE | --remote)
//   node scripts/backup.mjs upload  --from DIR    (--persist-to STATE | --remote)
//   node scripts/backup.mjs verify  --from DIR    (--persist-to STATE | --remote)
//   (every command also takes --config FILE, default wrangler.toml)
//
// Why not `wrangler d1 export`: it refuses a database that has a virtual table ("cannot export
// databases with Virtual Tables (fts5)", workers-sdk#6305), and Topi's search index
// `statuses_fts` is one; a failed remote export has also been seen to leave the database busy
// (workers-sdk#9519). `--table` would skip it, but then leaves out every index and trigger too. So
// `dump` reads the schema from sqlite_schema and every row with SELECT quote(...), page by page,
// and writes SQL files that `wrangler d1 execute --file` imports (locally each in one
// transaction; remotely through D1's import API), in the order manifest.json lists them:
//   d1/schema.sql      every CREATE TABLE, tables in foreign-key order;
//   d1/rows-NNNN.sql   every row, as INSERTs of up to 200 rows (tables in foreign-key order,
//                      rows in rowid order);
//   d1/finish.sql      virtual tables, indexes, triggers and views, then the statements that
//                      rebuild the search index (DERIVED below).
// quote() gives exact SQL literals: ids are about 2^57 and D1's JS API has no BigInt, so reading
// them as numbers would round them. Tables are read one after the other, not in one
// transaction: a backup of an instance that is in use may catch a change half made.
//
// dump also writes every R2 object to r2/<key> with its HTTP metadata (content type, ...) and
// custom metadata in r2.json, and manifest.json: row counts per table, object count and bytes,
// the migrations applied, the owner's actor id, the Topi commit, the Time Travel bookmark.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const FORMAT = "topi-backup/1";
const PAGE_ROWS = 500;
// D1 refuses longer statements (developers.cloudflare.com/d1/platform/limits); an INSERT of
// several rows stays well under it, and one row longer than that alone is reported.
const D1_MAX_STATEMENT = 100_000;
const INSERT_ROWS = 200;
const INSERT_BYTES = 64_000;
const FILE_STATEMENTS = 2_000; // restore.sh reads these two from the manifest
const FILE_BYTES = 32_000_000;

// Tables whose content cannot be copied as rows, and how to rebuild them from the rows that are.
// `statuses_fts` is a contentless FTS5 table (migrations/0001_initial.sql): its words live only
// in shadow tables, which D1 does not let anyone write. The rule is the one the app follows
// (src/store/statuses/writes.rs: create, edit, delete; retention.rs): an original status with text is
// indexed as "spoiler_text text" until it is deleted. tests/e2e/test_backup.py searches after a
// restore. A virtual table missing here makes `dump` fail rather than lose it silently.
const DERIVED = {
  statuses_fts: [
    "INSERT INTO statuses_fts (rowid, text) SELECT id, spoiler_text || ' ' || text FROM statuses " +
      "WHERE text IS NOT NULL AND reblog_of_id IS NULL AND deleted_at IS NULL ORDER BY id;",
  ],
};

// -- arguments and bindings ----------------------------------------------------------------------

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const opts = { command, config: join(ROOT, "wrangler.toml") };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value = () => {
      if (i + 1 >= rest.length) fail(`${arg} needs a value`);
      return rest[++i];
    };
    if (arg === "--remote") opts.remote = true;
    else if (arg === "--local") continue; // as wrangler says it; --persist-to is what counts
    else if (arg === "--persist-to") opts.persistTo = resolve(value());
    else if (arg === "--out") opts.out = resolve(value());
    else if (arg === "--from") opts.from = resolve(value());
    else if (arg === "--config") opts.config = resolve(value());
    else fail(`unknown argument ${arg}`);
  }
  if (!opts.remote === !opts.persistTo) fail("say where the instance is: --persist-to STATE or --remote");
  return opts;
}

function fail(message) {
  console.error(`backup: ${message}`);
  process.exit(2);
}

const log = (message) => console.error(message);

/** The DB and MEDIA bindings of the instance's wrangler.toml, local or remote, and nothing else. */
async function connect(opts) {
  const { unstable_readConfig, getPlatformProxy } = await import("wrangler");
  const config = unstable_readConfig({ config: opts.config });
  const db = (config.d1_databases ?? []).find((d) => d.binding === "DB");
  const bucket = (config.r2_buckets ?? []).find((b) => b.binding === "MEDIA");
  if (!db || !bucket) fail(`${opts.config} has no D1 binding DB or R2 binding MEDIA`);
  if (opts.remote && /^0{8}-/.test(db.database_id ?? "0")) {
    fail(`${opts.config} has no database_id yet: deploy first (make deploy), or name a local state folder (make backup STATE=.wrangler/state)`);
  }
  const remote = opts.remote ? { remote: true } : {};
  // Only the two bindings: the Worker, its queues and its Durable Object are not needed here.
  const dir = mkdtempSync(join(tmpdir(), "topi-backup-config-"));
  const file = join(dir, "wrangler.json");
  writeFileSync(file, JSON.stringify({
    name: `${config.name ?? "topi"}-backup`,
    compatibility_date: config.compatibility_date,
    d1_databases: [{
      binding: "DB", database_name: db.database_name, database_id: db.database_id,
      // Locally, wrangler keeps a database under its preview id when there is one.
      ...(db.preview_database_id && !opts.remote ? { preview_database_id: db.preview_database_id } : {}), ...remote,
    }],
    r2_buckets: [{ binding: "MEDIA", bucket_name: bucket.bucket_name, ...remote }],
  }));
  try {
    const proxy = await getPlatformProxy({
      configPath: file,
      envFiles: [],
      // wrangler dev --persist-to DIR keeps its data in DIR/v3.
      persist: opts.remote ? false : { path: join(opts.persistTo, "v3") },
      remoteBindings: Boolean(opts.remote),
    });
    return {
      DB: proxy.env.DB,
      MEDIA: proxy.env.MEDIA,
      database: { name: db.database_name, id: db.database_id },
      bucketName: bucket.bucket_name,
      dispose: async () => {
        await proxy.dispose();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

// -- the database --------------------------------------------------------------------------------

const ident = (name) => `"${name.replaceAll('"', '""')}"`;
const internal = (name) => name.startsWith("sqlite_") || name.startsWith("_cf_");

/** The tables of the main schema: {name, type: "table" | "virtual", withoutRowid, sql}, in
 *  creation order, without SQLite's and D1's own and without virtual tables' shadow tables. */
async function tables(DB) {
  const list = await DB.prepare("PRAGMA table_list").all();
  const kind = new Map(list.results.filter((t) => t.schema === "main").map((t) => [t.name, t]));
  const schema = await DB.prepare(
    "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql IS NOT NULL ORDER BY rowid").all();
  return schema.results
    .filter((t) => !internal(t.name) && ["table", "virtual"].includes(kind.get(t.name)?.type))
    .map((t) => ({ name: t.name, sql: t.sql, type: kind.get(t.name).type, withoutRowid: Boolean(kind.get(t.name).wr) }));
}

async function countRows(DB, table) {
  return (await DB.prepare(`SELECT count(*) AS n FROM ${ident(table)}`).first()).n;
}

async function rowCounts(DB, list) {
  const ordinary = list.filter((t) => t.type === "table");
  if (ordinary.length === 0) return {};
  const counts = {};
  // One statement per table, in one batch (one round trip).
  const results = await DB.batch(ordinary.map((t) => DB.prepare(`SELECT count(*) AS n FROM ${ident(t.name)}`)));
  ordinary.forEach((t, i) => { counts[t.name] = results[i].results[0].n; });
  return counts;
}

/** Ordinary tables, each after the tables its foreign keys point to (where there is no cycle). */
async function inForeignKeyOrder(DB, list) {
  const ordinary = list.filter((t) => t.type === "table");
  const names = new Set(ordinary.map((t) => t.name));
  const parents = new Map();
  for (const t of ordinary) {
    const fks = await DB.prepare(`PRAGMA foreign_key_list(${ident(t.name)})`).all();
    parents.set(t.name, new Set(fks.results.map((f) => f.table).filter((p) => names.has(p) && p !== t.name)));
  }
  const done = new Set();
  const out = [];
  const visit = (t, path) => {
    if (done.has(t.name) || path.has(t.name)) return;
    path.add(t.name);
    for (const p of parents.get(t.name)) visit(ordinary.find((o) => o.name === p), path);
    path.delete(t.name);
    done.add(t.name);
    out.push(t);
  };
  for (const t of ordinary) visit(t, new Set());
  return out;
}

/** A quote() literal as it goes into the dump. Text with a line break becomes CAST(X'…' AS
 *  TEXT): its exact UTF-8 bytes, on one line, as `wrangler d1 export` keeps raw line breaks out
 *  of its files (its replace(…, '\n', char(10)) would also turn a typed backslash-n into one). */
function literal(quoted) {
  if (!quoted.startsWith("'") || !/[\r\n]/.test(quoted)) return quoted;
  const text = quoted.slice(1, -1).replaceAll("''", "'");
  return `CAST(X'${Buffer.from(text, "utf8").toString("hex")}' AS TEXT)`;
}

/** The rows of a table as SQL value lists "(…,…)", in rowid (or primary key) order, and the
 *  INSERT they go into. */
async function rowsOf(DB, table) {
  const info = await DB.prepare(`PRAGMA table_info(${ident(table.name)})`).all();
  const columns = info.results.map((c) => c.name);
  const quoted = columns.map((c) => `quote(${ident(c)})`).join(", ");
  const insert = `INSERT INTO ${ident(table.name)} (${columns.map(ident).join(", ")}) VALUES `;
  async function* values() {
    if (table.withoutRowid) {
      const key = info.results.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => ident(c.name));
      const order = (key.length ? key : columns.map(ident)).join(", ");
      for (let offset = 0; ; offset += PAGE_ROWS) {
        const page = await DB.prepare(`SELECT ${quoted} FROM ${ident(table.name)} ORDER BY ${order} LIMIT ?1 OFFSET ?2`)
          .bind(PAGE_ROWS, offset).raw();
        for (const row of page) yield "(" + row.map(literal).join(",") + ")";
        if (page.length < PAGE_ROWS) return;
      }
    }
    // Pages by rowid, compared as an integer: the last one is carried as text (2^57 > 2^53).
    let after = null;
    for (;;) {
      const page = await DB.prepare(
        `SELECT CAST(rowid AS TEXT), ${quoted} FROM ${ident(table.name)} ` +
          `WHERE ?1 IS NULL OR rowid > CAST(?1 AS INTEGER) ORDER BY rowid LIMIT ?2`,
      ).bind(after, PAGE_ROWS).raw();
      for (const [, ...row] of page) yield "(" + row.map(literal).join(",") + ")";
      if (page.length < PAGE_ROWS) return;
      after = page[page.length - 1][0];
    }
  }
  return { insert, values: values() };
}

/** SQL files, imported in order by `wrangler d1 execute --file` (restore.sh joins consecutive
 *  ones up to the same limits, so a small instance is one import). Locally one import is one
 *  transaction, and wrangler 4.86 fails ("false == true") past some 20,000 statements in one:
 *  files are cut at FILE_STATEMENTS statements or FILE_BYTES. The manifest lists them with their
 *  statement and byte counts. */
class SqlFiles {
  constructor(dir) {
    this.dir = dir;
    this.names = [];
    this.out = null;
  }
  async open(name) {
    await this.close();
    mkdirSync(join(this.dir, "d1"), { recursive: true });
    this.current = { file: `d1/${name}`, statements: 0, bytes: 0 };
    this.names.push(this.current);
    this.out = createWriteStream(join(this.dir, "d1", name), { mode: 0o600 });
    this.statements = 0;
    this.bytes = 0;
  }
  async write(statement) {
    this.statements++;
    this.bytes += statement.length + 1;
    this.current.statements++;
    this.current.bytes += Buffer.byteLength(statement) + 1;
    if (!this.out.write(statement + "\n")) await new Promise((r) => this.out.once("drain", r));
  }
  get full() {
    return this.statements >= FILE_STATEMENTS || this.bytes >= FILE_BYTES;
  }
  async close() {
    if (this.out) await new Promise((resolve, reject) => this.out.end((e) => (e ? reject(e) : resolve())));
    this.out = null;
  }
}

/** Writes the database into `dir`/d1/: schema.sql (every CREATE TABLE, in foreign-key order),
 *  rows-NNNN.sql (the rows: INSERTs of up to INSERT_ROWS rows and INSERT_BYTES bytes, tables in
 *  foreign-key order, so that every file can be its own transaction), finish.sql (virtual tables,
 *  indexes, triggers, views, and the DERIVED statements that fill the search index). */
async function dumpDatabase(DB, dir) {
  const list = await tables(DB);
  const virtual = list.filter((t) => t.type === "virtual");
  const unknown = virtual.filter((t) => !DERIVED[t.name]);
  if (unknown.length) {
    throw new Error(`no rule to rebuild the virtual table(s) ${unknown.map((t) => t.name).join(", ")}: ` +
      "add one to DERIVED in scripts/backup.mjs");
  }
  const files = new SqlFiles(dir);
  const ordered = await inForeignKeyOrder(DB, list);
  await files.open("schema.sql");
  for (const t of ordered) await files.write(`${t.sql};`);
  const rows = {};
  let part = 0;
  let longest = { length: 0 };
  const nextPart = async () => {
    await files.open(`rows-${String(++part).padStart(4, "0")}.sql`);
    // Rows come in foreign-key order; should one still point ahead, it is checked at the file's end.
    await files.write("PRAGMA defer_foreign_keys=TRUE;");
  };
  await nextPart();
  for (const t of ordered) {
    rows[t.name] = 0;
    const { insert, values } = await rowsOf(DB, t);
    let batch = [];
    let length = insert.length;
    const flush = async () => {
      if (batch.length === 0) return;
      if (files.full) await nextPart();
      const statement = insert + batch.join(",") + ";";
      if (statement.length > longest.length) longest = { length: statement.length, table: t.name };
      await files.write(statement);
      batch = [];
      length = insert.length;
    };
    for await (const value of values) {
      if (batch.length && (batch.length >= INSERT_ROWS || length + value.length + 1 > INSERT_BYTES)) await flush();
      batch.push(value);
      length += value.length + 1;
      rows[t.name]++;
    }
    await flush();
  }
  await files.open("finish.sql");
  for (const t of virtual) await files.write(`${t.sql};`);
  const rest = await DB.prepare(
    "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type IN ('index', 'trigger', 'view') AND sql IS NOT NULL " +
      "ORDER BY CASE type WHEN 'index' THEN 0 WHEN 'view' THEN 1 ELSE 2 END, rowid").all();
  for (const r of rest.results) {
    if (!internal(r.tbl_name)) await files.write(`${r.sql};`);
  }
  const derived = {};
  for (const t of virtual) {
    for (const statement of DERIVED[t.name]) await files.write(statement);
    derived[t.name] = await countRows(DB, t.name);
  }
  await files.close();
  if (longest.length > D1_MAX_STATEMENT) {
    log(`backup: warning: a row of ${longest.table} makes an INSERT of ${longest.length} bytes; ` +
      `D1 refuses statements over ${D1_MAX_STATEMENT} bytes, so a remote restore will fail on it (a local one works)`);
  }
  return { rows, derived, sql: files.names };
}

async function describeDatabase(DB) {
  const list = await tables(DB);
  const rows = await rowCounts(DB, list);
  const has = (name) => list.some((t) => t.name === name);
  const migrations = has("d1_migrations")
    ? (await DB.prepare("SELECT name FROM d1_migrations ORDER BY id").all()).results.map((r) => r.name)
    : [];
  const owner = has("local_users") && has("accounts")
    ? await DB.prepare("SELECT a.uri, a.username FROM accounts a JOIN local_users u ON u.account_id = a.id LIMIT 1").first()
    : null;
  return { tables: list.map((t) => t.name), rows, migrations, owner };
}

/** Empty: no tables. Unused: tables, but no rows beyond the migrations' record and provisioned
 *  keys (`make deploy` was run, the Worker never served anyone). Otherwise it holds data. */
function databaseState(description) {
  if (description.tables.length === 0) return "empty";
  const used = Object.entries(description.rows).filter(([name, n]) => n > 0 && !["d1_migrations", "instance_keys"].includes(name));
  return used.length === 0 ? "unused" : "data";
}

// -- R2 ------------------------------------------------------------------------------------------

async function* objects(MEDIA) {
  let cursor;
  do {
    const page = await MEDIA.list({ cursor, limit: 1000, include: ["httpMetadata", "customMetadata"] });
    yield* page.objects;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

/** Where an object's bytes go in the archive: its key, with each segment made safe for a path. */
function objectPath(key) {
  const segment = (s) => ({ "": "%", ".": "%2E", "..": "%2E%2E" })[s] ?? encodeURIComponent(s);
  return "r2/" + key.split("/").map(segment).join("/");
}

function md5(file) {
  return new Promise((resolve, reject) => {
    const hash = createHash("md5");
    createReadStream(file).on("data", (d) => hash.update(d)).on("error", reject).on("end", () => resolve(hash.digest("hex")));
  });
}

async function dumpObjects(MEDIA, dir) {
  const list = [];
  let bytes = 0;
  for await (const o of objects(MEDIA)) {
    const file = objectPath(o.key);
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    const object = await MEDIA.get(o.key);
    if (object === null) continue; // deleted since it was listed
    await pipeline(Readable.fromWeb(object.body), createWriteStream(path, { mode: 0o600 }));
    const sum = await md5(path);
    // An object uploaded whole has its MD5 as etag (a multipart one has "<md5>-<parts>").
    if (/^[0-9a-f]{32}$/.test(object.etag) && sum !== object.etag) throw new Error(`R2 object ${o.key}: the bytes read do not match its etag`);
    list.push({
      key: o.key,
      file,
      size: object.size,
      md5: sum,
      etag: object.etag,
      uploaded: object.uploaded,
      httpMetadata: object.httpMetadata ?? {},
      customMetadata: object.customMetadata ?? {},
    });
    bytes += object.size;
  }
  writeFileSync(join(dir, "r2.json"), JSON.stringify(list, null, 1), { mode: 0o600 });
  return { count: list.length, bytes };
}

function httpMetadata(saved) {
  const out = { ...saved };
  if (out.cacheExpiry) out.cacheExpiry = new Date(out.cacheExpiry);
  return out;
}

async function uploadObjects(MEDIA, dir) {
  const list = JSON.parse(readFileSync(join(dir, "r2.json"), "utf8"));
  let bytes = 0;
  for (const o of list) {
    const file = readFileSync(join(dir, o.file));
    // An ArrayBuffer of its own: the proxy refuses a view into Node's shared Buffer pool.
    const data = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
    await MEDIA.put(o.key, data, { httpMetadata: httpMetadata(o.httpMetadata), customMetadata: o.customMetadata, md5: o.md5 });
    bytes += data.byteLength;
  }
  return { count: list.length, bytes };
}

// -- provenance ----------------------------------------------------------------------------------

function gitCommit() {
  const git = spawnSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" });
  return git.status === 0 ? git.stdout.trim() : undefined;
}

/** Where D1 Time Travel can bring the database back to (30 days on Workers Paid, 7 on Free):
 *  the bookmark of the moment the backup starts, as `wrangler d1 time-travel info` tells it. */
function timeTravelBookmark(config) {
  const run = spawnSync(join(ROOT, "node_modules", ".bin", "wrangler"), ["d1", "time-travel", "info", "DB", "--json", "--config", config],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, CI: "true" } });
  try {
    if (run.status === 0) return JSON.parse(run.stdout.slice(run.stdout.indexOf("{")));
  } catch {
    // reported below
  }
  log("backup: no Time Travel bookmark (wrangler d1 time-travel info failed); going on");
  return undefined;
}

// -- commands ------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const env = await connect(opts);
  try {
    switch (opts.command) {
      case "dump": {
        if (!opts.out) fail("dump needs --out DIR");
        mkdirSync(opts.out, { recursive: true });
        const started = Date.now();
        const timeTravel = opts.remote ? timeTravelBookmark(opts.config) : undefined;
        const before = await describeDatabase(env.DB);
        const { rows, derived, sql } = await dumpDatabase(env.DB, opts.out);
        const r2 = await dumpObjects(env.MEDIA, opts.out);
        const manifest = {
          format: FORMAT,
          created_at: new Date().toISOString(),
          source: opts.remote ? "remote" : "local",
          database: env.database,
          bucket: env.bucketName,
          owner: before.owner,
          migrations: before.migrations,
          tables: rows,
          derived,
          sql: { files: sql, limits: { statements: FILE_STATEMENTS, bytes: FILE_BYTES } },
          objects: r2,
          topi_commit: gitCommit(),
          time_travel: timeTravel,
        };
        writeFileSync(join(opts.out, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n", { mode: 0o600 });
        const total = Object.values(rows).reduce((a, b) => a + b, 0);
        log(`backup: ${total} rows in ${Object.keys(rows).length} tables, ${r2.count} R2 objects (${r2.bytes} bytes) in ${Date.now() - started} ms`);
        break;
      }
      case "inspect": {
        const description = await describeDatabase(env.DB);
        let objectCount = 0;
        for await (const _ of objects(env.MEDIA)) objectCount++;
        console.log(JSON.stringify({ state: databaseState(description), ...description, objects: objectCount }));
        break;
      }
      case "wipe": {
        // Everything the dump would recreate goes; D1's and SQLite's own tables stay. One batch is
        // one transaction, and the deferred foreign keys are checked at its end, when every table
        // that could violate them is gone.
        const list = await tables(env.DB);
        const rest = await env.DB.prepare(
          "SELECT type, name, tbl_name FROM sqlite_schema WHERE type IN ('trigger', 'view') AND sql IS NOT NULL").all();
        const statements = ["PRAGMA defer_foreign_keys = TRUE"];
        for (const r of rest.results) if (!internal(r.tbl_name)) statements.push(`DROP ${r.type.toUpperCase()} IF EXISTS ${ident(r.name)}`);
        for (const t of list.filter((t) => t.type === "virtual")) statements.push(`DROP TABLE IF EXISTS ${ident(t.name)}`);
        for (const t of (await inForeignKeyOrder(env.DB, list)).reverse()) statements.push(`DROP TABLE IF EXISTS ${ident(t.name)}`);
        await env.DB.batch(statements.map((s) => env.DB.prepare(s)));
        log(`restore: dropped ${list.length} tables`);
        break;
      }
      case "upload": {
        if (!opts.from) fail("upload needs --from DIR");
        const started = Date.now();
        const { count, bytes } = await uploadObjects(env.MEDIA, opts.from);
        log(`restore: ${count} R2 objects (${bytes} bytes) put in ${Date.now() - started} ms`);
        break;
      }
      case "verify": {
        if (!opts.from) fail("verify needs --from DIR");
        const manifest = JSON.parse(readFileSync(join(opts.from, "manifest.json"), "utf8"));
        const saved = JSON.parse(readFileSync(join(opts.from, "r2.json"), "utf8"));
        const problems = [];
        const description = await describeDatabase(env.DB);
        for (const [name, n] of Object.entries(manifest.tables)) {
          if (description.rows[name] !== n) problems.push(`table ${name}: ${description.rows[name] ?? "missing"} rows, the backup has ${n}`);
        }
        for (const [name, n] of Object.entries(manifest.derived ?? {})) {
          const now = await countRows(env.DB, name);
          if (now !== n) problems.push(`${name}: ${now} entries rebuilt, the backup's database had ${n}`);
        }
        for (const o of saved) {
          const head = await env.MEDIA.head(o.key);
          if (!head) problems.push(`R2 object ${o.key} is missing`);
          else if (head.size !== o.size) problems.push(`R2 object ${o.key}: ${head.size} bytes, the backup has ${o.size}`);
          else if (/^[0-9a-f]{32}$/.test(head.etag) && head.etag !== o.md5) problems.push(`R2 object ${o.key}: other bytes than in the backup`);
          else if ((head.httpMetadata?.contentType ?? null) !== (o.httpMetadata?.contentType ?? null)) {
            problems.push(`R2 object ${o.key}: content type ${head.httpMetadata?.contentType} instead of ${o.httpMetadata?.contentType}`);
          }
        }
        if (problems.length) {
          for (const p of problems) log(`restore: ${p}`);
          process.exitCode = 1;
        } else {
          const total = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
          log(`restore: verified ${total} rows in ${Object.keys(manifest.tables).length} tables and ${saved.length} R2 objects`);
        }
        break;
      }
      default:
        fail(`unknown command ${opts.command ?? "(none)"}: dump, inspect, wipe, upload or verify`);
    }
  } finally {
    await env.dispose();
  }
}

try {
  await main();
} catch (e) {
  // wrangler's errors say what is wrong in their first lines; the stack only with DEBUG=1.
  log(`backup: ${process.env.DEBUG ? e.stack : String(e.message ?? e).split("\n").slice(0, 4).join("\n")}`);
  if (wantsRemote()) log("backup: to reach your account, log in with `npx wrangler login` or set CLOUDFLARE_API_TOKEN (the token make deploy uses)");
  process.exit(1);
}

function wantsRemote() {
  return process.argv.includes("--remote");
}
