// Starts one worker under Miniflare for bench/run.sh and reports where it runs.
//   node bench/cpu.mjs topi PORT STATE_DIR OUT_JSON   the built Topi worker (build/), fresh D1, a token
//   node bench/cpu.mjs noop PORT STATE_DIR OUT_JSON   the JS no-op baseline (bench/noop.mjs)
// Writes {"workerd_pid", "node_pid", "port", "token"} to OUT_JSON once the worker answers, then
// stays up until SIGTERM/SIGINT, when it disposes Miniflare (which stops workerd).
// Also a module: bench/seed.mjs calls serve() with a hook that seeds D1 before OUT_JSON is written.
import { Miniflare } from "miniflare";
import { readFileSync, readdirSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { provisioningStatements } from "../scripts/provision.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// Miniflare options for `kind` ("topi" or "noop") on 127.0.0.1:PORT, persisting under stateDir.
// `extra` is merged in: its `bindings` join Topi's, any other key replaces the option
// (bench/federation.mjs adds ALLOW_PRIVATE_ADDRESSES and queue consumers this way).
export function options(kind, port, stateDir, extra = {}) {
  const { bindings: extraBindings = {}, ...rest } = extra;
  const base = `http://127.0.0.1:${port}`;
  const common = { host: "127.0.0.1", port, modules: true, compatibilityDate: "2026-04-01" };
  const built = kind === "noop"
    ? { ...common, scriptPath: join(root, "bench/noop.mjs") }
    : {
        ...common,
        scriptPath: join(root, "build/worker/shim.mjs"),
        // build/index.js is an ES module (Miniflare would take a bare .js for CommonJS) and does
        // `import H from "./index_bg.wasm"`, instantiating the compiled module itself.
        modulesRules: [
          { type: "ESModule", include: ["**/*.js"] },
          { type: "CompiledWasm", include: ["**/*.wasm"] },
        ],
        bindings: {
          PUBLIC_URL: base,
          ADMIN_USERNAME: "alice",
          ADMIN_PASSWORD: "bench-password",
          ALLOW_PASSWORD_GRANT: "true",
          ...extraBindings,
        },
        d1Databases: { DB: "id" },
        r2Buckets: ["MEDIA"],
        queueProducers: { FEDERATION: { queueName: "topi-federation" } },
        // The streaming hub (wrangler.toml); every write invocation hands it its happenings.
        durableObjects: { STREAMING: { className: "StreamingHub", useSQLite: true } },
        defaultPersistRoot: stateDir,
        d1Persist: join(stateDir, "d1"),
        r2Persist: join(stateDir, "r2"),
      };
  return { ...built, ...rest };
}

// Statements of a migration file: `--` comments dropped, split on `;` outside quotes, keeping
// CREATE TRIGGER … BEGIN … END; bodies whole.
export function statements(sql) {
  const out = [];
  let cur = "";
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === "'") {
      const end = sql.indexOf("'", i + 1); // '' escapes re-enter here as two adjacent strings
      cur += sql.slice(i, end + 1);
      i = end;
    } else if (ch === "-" && sql[i + 1] === "-") {
      i = sql.indexOf("\n", i) === -1 ? sql.length : sql.indexOf("\n", i) - 1;
    } else if (ch === ";" && !(/^\s*CREATE\s+TRIGGER/i.test(cur) && !/\bEND\s*$/i.test(cur))) {
      if (cur.trim()) out.push(cur.trim());
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

// Migrations, then the keys `make dev` and `make deploy` create outside the Worker.
export async function migrate(mf) {
  const db = await mf.getD1Database("DB");
  const dir = join(root, "migrations");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
    const stmts = statements(readFileSync(join(dir, file), "utf8"));
    await db.batch(stmts.map((s) => db.prepare(s)));
  }
  await db.batch(provisioningStatements().map((s) => db.prepare(s)));
}

export async function form(base, path, fields) {
  const res = await fetch(base + path, { method: "POST", body: new URLSearchParams(fields) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

// workerd CPU (utime + stime, in clock ticks) so far.
export function ticks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

// Registers an app and logs in, measuring the one-off costs of first start on the way: the
// first app registration reads the provisioned instance keys, the first login creates the
// owner (an Ed25519 key and the provisioned RSA key) and checks the password; LOGINS further
// logins measure one password-grant login each (token, rate-limit rows, the password check).
const LOGINS = 10;
export async function tokenAndFirstStart(base, pid) {
  const msPerTick = 1000 / Number(process.env.CLK_TCK || 100);
  const t0 = ticks(pid);
  const app = await form(base, "/api/v1/apps", {
    client_name: "bench", redirect_uris: "urn:ietf:wg:oauth:2.0:oob", scopes: "read write",
  });
  const t1 = ticks(pid);
  const login = () => form(base, "/oauth/token", {
    grant_type: "password", username: "alice", password: "bench-password",
    client_id: app.client_id, client_secret: app.client_secret, scope: "read write",
  });
  const tok = await login();
  const t2 = ticks(pid);
  for (let i = 0; i < LOGINS; i++) await login();
  const t3 = ticks(pid);
  return {
    token: tok.access_token,
    first_start: {
      instance_keys_ms: (t1 - t0) * msPerTick, // the first app registration reads them
      owner_creation_and_first_login_ms: (t2 - t1) * msPerTick,
      password_login_ms: ((t3 - t2) * msPerTick) / LOGINS,
    },
  };
}

// The workerd process Miniflare spawned: a descendant of this node process.
export function workerdPid() {
  const found = workerdPids();
  if (found.length !== 1) throw new Error(`expected one workerd under node ${process.pid}, found ${found}`);
  return found[0];
}

// Every workerd process descended from this node process (one per Miniflare instance).
export function workerdPids() {
  const parent = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch { return 0; }
  };
  const found = [];
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    let cmd;
    try { cmd = readFileSync(`/proc/${name}/cmdline`, "utf8"); } catch { continue; }
    if (!cmd.split("\0")[0].endsWith("workerd")) continue;
    for (let p = Number(name); p > 1; p = parent(p)) {
      if (p === process.pid) { found.push(Number(name)); break; }
    }
  }
  return found;
}

// Runs one worker until SIGTERM/SIGINT. For "topi": migrations, then a token; then
// `await hook(mf, info)` (it may add fields to info); then writes info to outPath.
export async function serve(kind, port, stateDir, outPath, hook) {
  const mf = new Miniflare(options(kind, port, stateDir));
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    try { await mf.dispose(); } finally { process.exit(code); }
  };
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));

  try {
    await mf.ready;
    const info = { workerd_pid: workerdPid(), node_pid: process.pid, port, token: "" };
    if (kind === "topi") {
      await migrate(mf);
      Object.assign(info, await tokenAndFirstStart(`http://127.0.0.1:${port}`, info.workerd_pid));
    }
    if (hook) await hook(mf, info);
    writeFileSync(outPath + ".tmp", JSON.stringify(info) + "\n");
    renameSync(outPath + ".tmp", outPath);
  } catch (e) {
    console.error(`bench (${kind} on :${port}): ${e.stack ?? e}`);
    await stop(1);
  }
  setInterval(() => {}, 1 << 30); // stay up until signalled
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [kind, portArg, stateDir, outPath] = process.argv.slice(2);
  if (!["topi", "noop"].includes(kind) || !portArg || !stateDir || !outPath) {
    console.error("usage: node bench/cpu.mjs topi|noop PORT STATE_DIR OUT_JSON");
    process.exit(2);
  }
  await serve(kind, Number(portArg), stateDir, outPath);
}
