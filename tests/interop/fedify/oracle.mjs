// A Fedify-powered ActivityPub actor and crypto oracle for Topi's interop tests.
//
//   node_modules/.bin/node oracle.mjs --port P [--public-url http://127.0.0.1:P]
//                                     [--host 127.0.0.1] [--rsa-bits 2048] [--verbose]
//
// Prints one line "ready" on stdout once listening; logs to stderr (Fedify's debug log with
// --verbose). Everything is in memory and the keys are fresh on every start. Needs Node 22
// (@fedify/fedify 1.10 uses ArrayBuffer.transfer); the npm package `node` in this directory
// provides it as node_modules/.bin/node.
//
// Actors (Fedify vocab, application/activity+json): /users/oracle and /users/impostor, each with
// an RSA key `#main-key` (publicKey) and an Ed25519 Multikey `#ed25519-key` (assertionMethod);
// WebFinger for acct:oracle@HOST and acct:impostor@HOST.
//
// Inboxes: POST /users/oracle/inbox, /users/impostor/inbox and /inbox (shared) verify the HTTP
// signature with Fedify's verifyRequest (draft-cavage-http-signatures-12 or RFC 9421, detected
// from the headers; the key is fetched over http, private addresses allowed), check that the
// activity's actor owns the key (doesActorOwnKey), record everything and answer 202, or 401 when
// either check fails. A verified Follow of a local actor is answered with a signed Accept (see
// `auto_accept`), and Follow / Undo(Follow) maintain the actor's followers collection.
//
// Control API (JSON in, JSON out):
//   GET  /control/info          actor and key ids, public keys (PEM, multibase)
//   POST /control/mode          {"inbox_status": 500|null, "key_fetch": "unsigned"|"signed",
//                                "time_window_seconds": 3600|false, "auto_accept": true,
//                                "accept_spec": "draft-cavage-http-signatures-12"|"rfc9421"}
//                               (only the keys given change; answers the whole mode)
//   GET  /control/received      everything the inboxes received, oldest first: {id, received_at,
//                               path, recipient, headers, body, activity, verified (signature valid
//                               and the actor owns the key), signature_valid, actor_owns_key, spec,
//                               key_id, key_owner, error (Fedify's reason), log, status}
//   GET  /control/sent          everything the oracle delivered (sends, Accepts), oldest first
//   POST /control/reset         clears received, sent and followers
//   POST /control/send          {"inbox", "activity", "spec", "key": "oracle"|"impostor",
//                                "key_id": override, "headers": {...},
//                                "tamper": "body"|"date_stale"|"digest"|"signature"|"unsigned"}
//                               -> {status, headers, body, request: {url, headers, body}}
//   POST /control/get           {"url", "spec"|"none", "key", "accept"} -> {status, headers, body}
//   POST /control/sign-proof    {"object", "key", "created", "mode": "raw"|"fedify"} -> object
//                               with an eddsa-jcs-2022 DataIntegrityProof appended
//   POST /control/verify-proof  {"object"} -> {verified, proofs: [...], error, log}
//   POST /control/verify-request {"method", "url", "headers", "body" | "body_base64"}
//                               -> {verified, spec, key_id, key_owner, error, log}

import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { inspect, parseArgs } from "node:util";
import { Temporal } from "@js-temporal/polyfill";
import { configure } from "@logtape/logtape";
import {
  createProof,
  doesActorOwnKey,
  exportJwk,
  generateCryptoKeyPair,
  signRequest,
  verifyObject,
  verifyProof,
  verifyRequest,
} from "@fedify/fedify/sig";
import {
  exportMultibaseKey,
  exportSpki,
  getAuthenticatedDocumentLoader,
  getDocumentLoader,
} from "@fedify/fedify/runtime";
import {
  Activity,
  CryptographicKey,
  Endpoints,
  Multikey,
  Object as APObject,
  Person,
} from "@fedify/fedify/vocab";

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    "public-url": { type: "string" },
    "rsa-bits": { type: "string", default: "2048" },
    verbose: { type: "boolean", default: false },
  },
});

const DRAFT = "draft-cavage-http-signatures-12";
const RFC9421 = "rfc9421";
const SPECS = [DRAFT, RFC9421];
const AP_TYPE = "application/activity+json";
const MAX_BODY = 4 * 1024 * 1024;

const err = (...parts) => process.stderr.write(`[oracle] ${parts.join(" ")}\n`);
const short = (text) => (text && text.length > 300 ? `${text.slice(0, 300)}…` : text);

// -- logging: Fedify explains a failed verification only in its debug log, so every control or
// inbox request collects the log records made on its behalf (AsyncLocalStorage) --------------------

const traceStore = new AsyncLocalStorage();

function renderRecord(record) {
  const text = record.message
    .map((part, i) => (i % 2 === 0 ? part : typeof part === "string" ? part
      : inspect(part, { depth: 3, breakLength: Infinity })))
    .join("");
  return `${record.level} ${record.category.join(".")}: ${text}`;
}

function captureSink(record) {
  const trace = traceStore.getStore();
  const line = renderRecord(record);
  if (trace) trace.push(line);
  if (args.verbose || record.level === "warning" || record.level === "error" || record.level === "fatal") {
    err(line);
  }
}

await configure({
  sinks: { capture: captureSink },
  loggers: [
    { category: ["fedify"], lowestLevel: "debug", sinks: ["capture"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["capture"] },
  ],
});

async function traced(fn) {
  const log = [];
  const result = await traceStore.run(log, fn);
  return { result, log };
}

function failureReason(log, fallback) {
  const reasons = log.filter((l) => /Failed|Error|Disallowed|not authenticated|does not have/.test(l));
  return reasons.length ? reasons[reasons.length - 1] : fallback;
}

// -- state ------------------------------------------------------------------------------------------

const mode = {
  inbox_status: null,
  key_fetch: "unsigned",
  time_window_seconds: 3600,
  auto_accept: true,
  accept_spec: DRAFT,
  // Answer actor documents only to GETs whose signature Fedify verifies (Mastodon's secure
  // mode, GoToSocial): proves a peer signs its fetches.
  require_signed_get: false,
};
let signedGets = [];
let received = [];
let sent = [];
let seq = 0;
const followers = { oracle: new Map(), impostor: new Map() }; // actor uri -> inbox uri

// -- keys and actors --------------------------------------------------------------------------------

async function rsaKeyPair(bits) {
  if (bits === 4096) return await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"); // Fedify's default
  return await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true, ["sign", "verify"],
  );
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    err(`unhandled error on ${req.method} ${req.url}:`, e?.stack ?? String(e));
    if (!res.headersSent) sendJson(res, 500, { error: String(e) });
    else res.end();
  });
});
await new Promise((resolve) => server.listen(Number(args.port), args.host, resolve));
const port = server.address().port;
const publicUrl = (args["public-url"] ?? `http://${args.host}:${port}`).replace(/\/$/, "");
const authority = new URL(publicUrl).host;

const actors = {};
for (const name of ["oracle", "impostor"]) {
  const id = `${publicUrl}/users/${name}`;
  actors[name] = {
    name,
    id,
    inbox: `${id}/inbox`,
    keyId: new URL(`${id}#main-key`),
    edKeyId: new URL(`${id}#ed25519-key`),
    rsa: await rsaKeyPair(Number(args["rsa-bits"])),
    ed: await generateCryptoKeyPair("Ed25519"),
  };
}

// -- document loaders -------------------------------------------------------------------------------

const plainLoader = getDocumentLoader({ allowPrivateAddress: true, userAgent: "topi-interop-fedify-oracle" });

// JSON-LD contexts: Fedify's preloaded ones (activitystreams, security v1, data-integrity, multikey,
// ...), anything on loopback over http; an unknown remote context cannot be fetched offline, so it
// is replaced by an empty one with a warning in the log rather than failing the whole check.
async function contextLoader(url, options) {
  try {
    return await plainLoader(url, options);
  } catch (e) {
    const host = new URL(url).hostname;
    if (host === "127.0.0.1" || host === "localhost" || host === "[::1]") throw e;
    captureSink({ level: "warning", category: ["oracle", "context"], message: [`remote JSON-LD context ${url} is not available offline (${e}); using an empty context`] });
    return { contextUrl: null, document: { "@context": {} }, documentUrl: url };
  }
}

function keyLoader() {
  if (mode.key_fetch === "signed") {
    const a = actors.oracle;
    return getAuthenticatedDocumentLoader({ keyId: a.keyId, privateKey: a.rsa.privateKey },
      { allowPrivateAddress: true, userAgent: "topi-interop-fedify-oracle" });
  }
  return plainLoader;
}

function loaderOptions() {
  return { documentLoader: keyLoader(), contextLoader };
}

async function actorDocument(a) {
  const person = new Person({
    id: new URL(a.id),
    preferredUsername: a.name,
    name: `Fedify ${a.name}`,
    summary: "A Fedify-powered test actor (Topi interop oracle).",
    url: new URL(a.id),
    inbox: new URL(a.inbox),
    outbox: new URL(`${a.id}/outbox`),
    followers: new URL(`${a.id}/followers`),
    following: new URL(`${a.id}/following`),
    endpoints: new Endpoints({ sharedInbox: new URL(`${publicUrl}/inbox`) }),
    manuallyApprovesFollowers: false,
    publicKey: new CryptographicKey({ id: a.keyId, owner: new URL(a.id), publicKey: a.rsa.publicKey }),
    assertionMethods: [new Multikey({ id: a.edKeyId, controller: new URL(a.id), publicKey: a.ed.publicKey })],
  });
  return await person.toJsonLd({ format: "compact", contextLoader });
}

// -- HTTP plumbing ----------------------------------------------------------------------------------

function sendJson(res, status, value, contentType = "application/json") {
  const body = Buffer.from(JSON.stringify(value, null, 2));
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": body.length });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error("body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function headerList(req) {
  const list = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) list.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  return list;
}

function headersObject(headers) { // lower-case names; repeated headers joined like fetch does
  const out = {};
  for (const [k, v] of new Headers(headers)) out[k] = v;
  return out;
}

function parseJson(buf) {
  try { return JSON.parse(Buffer.isBuffer(buf) ? buf.toString("utf8") : buf); } catch { return null; }
}

function detectSpec(headers) {
  if (headers.has("signature-input")) return RFC9421;
  if (headers.has("signature")) return DRAFT;
  if (headers.has("authorization") && /^Signature /i.test(headers.get("authorization"))) return "authorization-header";
  return null;
}

// -- verification -----------------------------------------------------------------------------------

async function verifyCaptured({ method, url, headers, body, activity }) {
  const h = new Headers(headers);
  const spec = detectSpec(h);
  const out = { verified: false, signature_valid: false, spec, key_id: null, key_owner: null, actor_owns_key: null, error: null };
  if (spec !== DRAFT && spec !== RFC9421) {
    out.error = spec === null ? "no Signature or Signature-Input header" : `unsupported signature scheme: ${spec}`;
    out.log = [];
    return out;
  }
  const hasBody = method !== "GET" && method !== "HEAD";
  const request = new Request(url, { method, headers: h, body: hasBody ? body : undefined });
  const opts = loaderOptions();
  const { result, log } = await traced(async () => {
    try {
      const key = await verifyRequest(request, {
        ...opts, spec,
        timeWindow: mode.time_window_seconds === false ? false : { seconds: mode.time_window_seconds },
      });
      if (key == null) return { key: null };
      let owns = null;
      let activityObject = null;
      if (activity && typeof activity === "object") {
        try {
          activityObject = await Activity.fromJsonLd(activity, opts);
        } catch (e) {
          captureSink({ level: "debug", category: ["oracle"], message: [`body is not a Fedify Activity: ${e}`] });
        }
        if (activityObject) owns = await doesActorOwnKey(activityObject, key, opts);
      }
      return { key, owns };
    } catch (e) {
      return { key: null, exception: e };
    }
  });
  out.log = log;
  if (result.key) {
    out.signature_valid = true;
    out.key_id = result.key.id?.href ?? null;
    out.key_owner = result.key.ownerId?.href ?? null;
    out.actor_owns_key = result.owns;
    out.verified = result.owns !== false;
    if (result.owns === false) out.error = `the activity's actor ${JSON.stringify(activity?.actor)} does not own key ${out.key_id}`;
  } else {
    out.error = result.exception ? `exception: ${result.exception}` : failureReason(log, "verifyRequest returned null");
  }
  return out;
}

// -- inbox ------------------------------------------------------------------------------------------

function localActorName(uri) {
  for (const a of Object.values(actors)) if (a.id === uri) return a.name;
  return null;
}

function objectId(value) {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof value.id === "string") return value.id;
  return null;
}

async function handleInbox(req, res, path, recipient) {
  const raw = await readBody(req);
  const rawHeaders = headerList(req);
  const activity = parseJson(raw);
  const entry = {
    id: ++seq,
    received_at: new Date().toISOString(),
    path,
    recipient,
    method: req.method,
    headers: headersObject(rawHeaders),
    body: raw.toString("utf8"),
    activity,
  };
  if (mode.inbox_status != null) {
    Object.assign(entry, { verified: null, error: "not verified: inbox_status forced", status: mode.inbox_status });
    received.push(entry);
    err(`inbox ${path}: forced status ${mode.inbox_status} (${activity?.type ?? "non-JSON"})`);
    sendJson(res, mode.inbox_status, { error: `forced status ${mode.inbox_status}` });
    return;
  }
  const check = await verifyCaptured({ method: "POST", url: publicUrl + req.url, headers: rawHeaders, body: raw, activity });
  const ok = check.verified && activity !== null;
  Object.assign(entry, check, { status: ok ? 202 : check.verified ? 400 : 401 });
  if (activity === null && !entry.error) entry.error = "the body is not JSON";
  received.push(entry);
  err(`inbox ${path}: ${activity?.type ?? "non-JSON"} from ${check.key_id ?? "?"} -> ${entry.status}${entry.error ? ` (${short(entry.error)})` : ""}`);
  if (!ok) {
    sendJson(res, entry.status, { error: entry.error ?? "bad request" });
    return;
  }
  res.writeHead(202).end();
  setImmediate(() => afterInbox(activity, recipient).catch((e) => err("after inbox:", e?.stack ?? e)));
}

async function afterInbox(activity, recipient) {
  const type = activity.type;
  if (type === "Follow") {
    const name = localActorName(objectId(activity.object)) ?? recipient;
    const follower = objectId(activity.actor);
    if (!name || !follower) return;
    const opts = loaderOptions();
    let inbox = null;
    try {
      const doc = (await opts.documentLoader(follower)).document;
      inbox = objectId(doc.inbox);
    } catch (e) {
      err(`cannot fetch follower ${follower}: ${e}`);
      return;
    }
    followers[name].set(follower, inbox);
    if (!mode.auto_accept || !inbox) return;
    const a = actors[name];
    const accept = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${a.id}#accepts/${crypto.randomUUID()}`,
      type: "Accept",
      actor: a.id,
      object: activity,
    };
    await deliver({ inbox, activity: accept, spec: mode.accept_spec, key: name, reason: "auto-accept" });
  } else if (type === "Undo" && activity.object && typeof activity.object === "object" && activity.object.type === "Follow") {
    const name = localActorName(objectId(activity.object.object)) ?? recipient;
    if (name) followers[name].delete(objectId(activity.actor));
  }
}

// -- signing and delivering ---------------------------------------------------------------------------

async function sha256Base64(bytes) {
  return Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("base64");
}

async function deliver({ inbox, activity, spec = DRAFT, key = "oracle", key_id, tamper, headers = {}, reason = "send" }) {
  if (!SPECS.includes(spec)) throw new Error(`spec must be one of ${SPECS.join(", ")}`);
  const a = actors[key];
  if (!a) throw new Error(`key must be one of ${Object.keys(actors).join(", ")}`);
  const bodyText = typeof activity === "string" ? activity : JSON.stringify(activity);
  const body = new TextEncoder().encode(bodyText);
  const h = new Headers({ "Content-Type": AP_TYPE, Accept: AP_TYPE, "User-Agent": "topi-interop-fedify-oracle", ...headers });
  const options = { spec };
  if (tamper === "date_stale") options.currentTime = Temporal.Now.instant().subtract({ hours: 13 });
  if (tamper === "digest") { // a digest of other bytes, signed: the signature is valid, the digest is not
    const wrong = await sha256Base64(new TextEncoder().encode(bodyText + " "));
    if (spec === DRAFT) h.set("Digest", `SHA-256=${wrong}`); else h.set("Content-Digest", `sha-256=:${wrong}:`);
  }
  let request = new Request(inbox, { method: "POST", headers: h, body });
  if (tamper !== "unsigned") {
    const kid = key_id ? new URL(key_id) : a.keyId;
    request = await signRequest(request, a.rsa.privateKey, kid, options);
  }
  let finalBody = body;
  let finalHeaders = new Headers(request.headers);
  if (tamper === "body") {
    const obj = parseJson(bodyText);
    const changed = obj && typeof obj === "object" ? JSON.stringify({ ...obj, tampered: true }) : bodyText + " ";
    finalBody = new TextEncoder().encode(changed);
  } else if (tamper === "signature") {
    const sig = finalHeaders.get("Signature");
    finalHeaders.set("Signature", spec === DRAFT
      ? sig.replace(/signature="(.)/, (_, c) => `signature="${c === "A" ? "B" : "A"}`)
      : sig.replace(/=:(.)/, (_, c) => `=:${c === "A" ? "B" : "A"}`));
  } else if (tamper && !["date_stale", "digest", "unsigned"].includes(tamper)) {
    throw new Error("tamper must be one of body, date_stale, digest, signature, unsigned");
  }
  finalHeaders.delete("content-length");
  const record = {
    id: ++seq, sent_at: new Date().toISOString(), reason, inbox, spec, key, tamper: tamper ?? null,
    request: { url: inbox, method: "POST", headers: headersObject(finalHeaders), body: new TextDecoder().decode(finalBody) },
  };
  try {
    const response = await fetch(inbox, { method: "POST", headers: finalHeaders, body: finalBody, redirect: "manual" });
    const text = await response.text();
    Object.assign(record, { status: response.status, headers: headersObject(response.headers), body: parseJson(text) ?? text });
  } catch (e) {
    Object.assign(record, { status: null, error: String(e?.cause ?? e) });
  }
  sent.push(record);
  err(`${reason} ${activity?.type ?? ""} to ${inbox} (${spec}${tamper ? `, tamper=${tamper}` : ""}) -> ${record.status ?? record.error}`);
  return record;
}

async function signedGet({ url, spec = DRAFT, key = "oracle", accept = AP_TYPE }) {
  const a = actors[key];
  if (!a) throw new Error(`key must be one of ${Object.keys(actors).join(", ")}`);
  let request = new Request(url, { headers: { Accept: accept, "User-Agent": "topi-interop-fedify-oracle" } });
  if (spec !== "none") {
    if (!SPECS.includes(spec)) throw new Error(`spec must be one of ${SPECS.join(", ")} or none`);
    request = await signRequest(request, a.rsa.privateKey, a.keyId, { spec });
  }
  try {
    const response = await fetch(request, { redirect: "manual" });
    const text = await response.text();
    return { status: response.status, headers: headersObject(response.headers), body: parseJson(text) ?? text,
             request: { url, method: "GET", headers: headersObject(request.headers) } };
  } catch (e) {
    return { status: null, error: String(e?.cause ?? e) };
  }
}

// -- object integrity proofs (FEP-8b32, eddsa-jcs-2022) ---------------------------------------------

const DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v1";

async function signProof({ object, key = "oracle", created, mode: how = "raw" }) {
  const a = actors[key];
  if (!a) throw new Error(`key must be one of ${Object.keys(actors).join(", ")}`);
  if (!object || typeof object !== "object") throw new Error("object must be a JSON object");
  const createdAt = created ? Temporal.Instant.from(created) : undefined;
  if (how === "fedify") { // round trip through Fedify's vocabulary: what a Fedify server would send
    const { signObject } = await import("@fedify/fedify/sig");
    const parsed = await APObject.fromJsonLd(object, { contextLoader, documentLoader: plainLoader });
    const signed = await signObject(parsed, a.ed.privateKey, a.edKeyId, { contextLoader, created: createdAt });
    return await signed.toJsonLd({ format: "compact", contextLoader });
  }
  // raw: Fedify's createProof over exactly this JSON (plus the data-integrity context), so that
  // the verifier sees the same bytes the proof was made on.
  const doc = { ...object };
  delete doc.proof;
  const ctx = doc["@context"] === undefined ? [] : Array.isArray(doc["@context"]) ? doc["@context"] : [doc["@context"]];
  if (!ctx.includes(DATA_INTEGRITY)) doc["@context"] = [...(ctx.length ? ctx : ["https://www.w3.org/ns/activitystreams"]), DATA_INTEGRITY];
  const asFedifyObject = { clone: () => ({ toJsonLd: async () => doc }) };
  const proof = await createProof(asFedifyObject, a.ed.privateKey, a.edKeyId, { contextLoader, created: createdAt });
  const proofJson = await proof.toJsonLd({ format: "compact", contextLoader, context: DATA_INTEGRITY });
  delete proofJson["@context"];
  const existing = object.proof === undefined ? [] : Array.isArray(object.proof) ? object.proof : [object.proof];
  return { ...doc, proof: existing.length ? [...existing, proofJson] : proofJson };
}

async function verifyProofs({ object }) {
  if (!object || typeof object !== "object") throw new Error("object must be a JSON object");
  const opts = loaderOptions();
  const { result, log } = await traced(async () => {
    const proofs = [];
    let verified = null;
    try {
      const parsed = await APObject.fromJsonLd(object, opts);
      for await (const p of parsed.getProofs(opts)) {
        const key = await verifyProof(object, p, opts);
        proofs.push({ verified: key != null, cryptosuite: p.cryptosuite ?? null,
                      verification_method: p.verificationMethodId?.href ?? null,
                      controller: key?.controllerId?.href ?? null });
      }
      verified = (await verifyObject(APObject, object, opts)) != null;
    } catch (e) {
      return { proofs, verified: false, exception: e };
    }
    return { proofs, verified };
  });
  const ok = result.verified && result.proofs.length > 0;
  return {
    verified: ok,
    proofs: result.proofs,
    error: ok ? null : result.exception ? `exception: ${result.exception}`
      : result.proofs.length === 0 ? "no proof found (is the data-integrity context in @context?)"
      : failureReason(log, "verifyObject returned null"),
    log,
  };
}

// -- routes -----------------------------------------------------------------------------------------

async function controlBody(req) {
  const raw = await readBody(req);
  if (raw.length === 0) return {};
  const value = parseJson(raw);
  if (value === null || typeof value !== "object") throw new Error("control requests take a JSON object");
  return value;
}

function collection(id, items) {
  return {
    "@context": "https://www.w3.org/ns/activitystreams",
    id, type: "OrderedCollection", totalItems: items.length, orderedItems: items,
  };
}

async function handle(req, res) {
  const url = new URL(req.url, publicUrl);
  const path = url.pathname;
  const m = path.match(/^\/users\/(oracle|impostor)(\/(inbox|outbox|followers|following))?$/);

  if (req.method === "POST" && (path === "/inbox" || (m && m[3] === "inbox"))) {
    return await handleInbox(req, res, path, m ? m[1] : null);
  }
  if (req.method === "GET" && m) {
    const a = actors[m[1]];
    const signed = req.headers["signature-input"] ? RFC9421 : req.headers.signature ? DRAFT : "unsigned";
    err(`GET ${path} (${signed}, Accept: ${req.headers.accept ?? "-"}, ${req.headers["user-agent"] ?? "-"})`);
    if (mode.require_signed_get) {
      const check = await verifyCaptured({ method: "GET", url: new URL(path, publicUrl).href, headers: headersObject(req.headers) });
      signedGets.push({ path, ...check, log: undefined });
      if (!check.verified) return sendJson(res, 401, { error: `signed GET required: ${check.error}` });
    }
    if (!m[3]) return sendJson(res, 200, await actorDocument(a), AP_TYPE);
    const items = m[3] === "followers" ? [...followers[a.name].keys()] : [];
    return sendJson(res, 200, collection(`${a.id}/${m[3]}`, items), AP_TYPE);
  }
  if (req.method === "GET" && path === "/.well-known/webfinger") {
    const resource = url.searchParams.get("resource") ?? "";
    const a = Object.values(actors).find((x) => resource === `acct:${x.name}@${authority}` || resource === x.id);
    if (!a) return sendJson(res, 404, { error: "not found" });
    return sendJson(res, 200, {
      subject: `acct:${a.name}@${authority}`,
      aliases: [a.id],
      links: [
        { rel: "self", type: AP_TYPE, href: a.id },
        { rel: "http://webfinger.net/rel/profile-page", type: "text/html", href: a.id },
      ],
    }, "application/jrd+json");
  }

  if (path.startsWith("/control/")) {
    try {
      return await control(req, res, path);
    } catch (e) {
      return sendJson(res, 400, { error: String(e?.message ?? e) });
    }
  }
  sendJson(res, 404, { error: `no route for ${req.method} ${path}` });
}

async function control(req, res, path) {
  const route = `${req.method} ${path}`;
  switch (route) {
    case "GET /control/info": {
      const info = { public_url: publicUrl, host: authority };
      for (const a of Object.values(actors)) {
        info[a.name] = {
          id: a.id, inbox: a.inbox, handle: `${a.name}@${authority}`,
          key_id: a.keyId.href, public_key_pem: await exportSpki(a.rsa.publicKey),
          ed25519_key_id: a.edKeyId.href, ed25519_multibase: await exportMultibaseKey(a.ed.publicKey),
          public_key_jwk: await exportJwk(a.rsa.publicKey),
        };
      }
      return sendJson(res, 200, info);
    }
    case "POST /control/mode": {
      const body = await controlBody(req);
      for (const [k, v] of Object.entries(body)) {
        if (!(k in mode)) throw new Error(`unknown mode key ${k}`);
        mode[k] = v;
      }
      err("mode:", JSON.stringify(mode));
      return sendJson(res, 200, mode);
    }
    case "GET /control/received": return sendJson(res, 200, received);
    case "GET /control/signed-gets": return sendJson(res, 200, signedGets);
    case "GET /control/sent": return sendJson(res, 200, sent);
    case "POST /control/reset":
      received = []; sent = []; signedGets = [];
      for (const f of Object.values(followers)) f.clear();
      return sendJson(res, 200, { ok: true });
    case "POST /control/send": {
      const body = await controlBody(req);
      if (!body.inbox || body.activity === undefined) throw new Error("send needs inbox and activity");
      return sendJson(res, 200, await deliver(body));
    }
    case "POST /control/get": {
      const body = await controlBody(req);
      if (!body.url) throw new Error("get needs url");
      return sendJson(res, 200, await signedGet(body));
    }
    case "POST /control/sign-proof": {
      const body = await controlBody(req);
      return sendJson(res, 200, await signProof(body));
    }
    case "POST /control/verify-proof": {
      const body = await controlBody(req);
      return sendJson(res, 200, await verifyProofs(body));
    }
    case "POST /control/verify-request": {
      const body = await controlBody(req);
      if (!body.method || !body.url || !body.headers) throw new Error("verify-request needs method, url, headers");
      const bytes = body.body_base64 != null ? Buffer.from(body.body_base64, "base64")
        : body.body == null ? Buffer.alloc(0)
        : Buffer.from(typeof body.body === "string" ? body.body : JSON.stringify(body.body));
      const headers = Array.isArray(body.headers) ? body.headers : Object.entries(body.headers);
      const method = body.method.toUpperCase();
      const activity = method === "POST" ? parseJson(bytes) : null;
      return sendJson(res, 200, await verifyCaptured({ method, url: body.url, headers, body: bytes, activity }));
    }
    default:
      return sendJson(res, 404, { error: `no control route ${route}` });
  }
}

process.on("SIGTERM", () => { server.close(); process.exit(0); });
process.on("SIGINT", () => { server.close(); process.exit(0); });
err(`listening on ${args.host}:${port} as ${publicUrl}`);
process.stdout.write("ready\n");
