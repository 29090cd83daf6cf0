// Creates the instance's keys outside any request: the owner's RSA key (HTTP signatures), the
// instance actor's RSA key (signed fetches) and the VAPID key pair (Web Push). Generating an
// RSA-2048 key costs 100–250 ms of CPU, far past the free plan's 10 ms per invocation, so the
// Worker never does it; it answers 503 until this has run.
//
//   node scripts/provision.mjs --local --persist-to .wrangler/state     (make dev)
//   node scripts/provision.mjs --remote                                 (make deploy)
//
// Arguments are passed to `wrangler d1 execute DB`. Running it again changes nothing: the row is
// inserted only where none exists, so keys once published to peers are never replaced.
// `provisioningStatements()` is also imported by bench/ to set up Miniflare databases.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

// The formats WebCrypto exports and the Worker reads: PKCS#8 and SPKI PEM for RSA; PKCS#8 PEM
// and the uncompressed point in base64url for the VAPID key.
function rsaPair() {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
}

function vapidPair() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const { x, y } = publicKey.export({ format: "jwk" });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(x, "base64url"), Buffer.from(y, "base64url")]);
  return { privateKey: privateKey.export({ type: "pkcs8", format: "pem" }), publicKey: point.toString("base64url") };
}

const literal = (text) => `'${String(text).replaceAll("'", "''")}'`;

// Two statements: the row for a new instance, and the owner's key for an instance whose row was
// written before the owner's key moved here (its owner exists already and keeps its key).
export function provisioningStatements(now = Date.now()) {
  const instance = rsaPair();
  const owner = rsaPair();
  const vapid = vapidPair();
  return [
    `INSERT OR IGNORE INTO instance_keys (id, rsa_private_key_pem, rsa_public_key_pem, vapid_private_key_pem, ` +
      `vapid_public_key, owner_rsa_private_key_pem, owner_rsa_public_key_pem, created_at) VALUES (1, ` +
      [instance.privateKey, instance.publicKey, vapid.privateKey, vapid.publicKey, owner.privateKey, owner.publicKey]
        .map(literal)
        .join(", ") +
      `, ${now})`,
    `UPDATE instance_keys SET owner_rsa_private_key_pem = ${literal(owner.privateKey)}, ` +
      `owner_rsa_public_key_pem = ${literal(owner.publicKey)} WHERE id = 1 AND owner_rsa_private_key_pem IS NULL`,
  ];
}

function main(args) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const dir = mkdtempSync(join(tmpdir(), "topi-provision-"));
  const file = join(dir, "keys.sql");
  try {
    writeFileSync(file, provisioningStatements().join(";\n") + ";\n", { mode: 0o600 });
    const wrangler = join(root, "node_modules", ".bin", "wrangler");
    const run = spawnSync(wrangler, ["d1", "execute", "DB", "--yes", ...args, "--file", file], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, CI: "true" },
    });
    if (run.status !== 0) {
      process.stdout.write(run.stdout ?? "");
      console.error(`provision: wrangler d1 execute failed (${run.status ?? run.signal})`);
      process.exit(1);
    }
    console.log("provision: instance keys are in place");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
