/**
 * The sandbox's fake Cloud KMS child: the gRPC fake of test-support/fake-kms with one P-384 signing key
 * version (EC_SIGN_P384_SHA384, like the prod HSM key). Unlike a test's throwaway key, its private key is
 * kept in the data directory (mode 0600) so the signatures stored in the sandbox registry stay valid
 * across restarts; its public key is written as PEM for `npm run images:verify -- … --key`. Written
 * before the server listens, so a healthy child always has its public key on disk. Sandbox only.
 */
import crypto from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseCommandLine } from "../lib/cli.js";
import { startFakeKms } from "../test-support/fake-kms/index.js";

const { values } = parseCommandLine({
  name: "sandbox kms",
  usage:
    "usage: tsx sandbox/kms-child.ts --port <p> --key-version <projects/…/cryptoKeyVersions/n> --private-key <file> --public-key <file>",
  options: {
    port: { type: "string" },
    "key-version": { type: "string" },
    "private-key": { type: "string" },
    "public-key": { type: "string" },
  },
});
const { port, "key-version": keyVersion, "private-key": privateFile, "public-key": publicFile } = values;
if (!port || !keyVersion || !privateFile || !publicFile) {
  process.stderr.write("sandbox kms: --port, --key-version, --private-key and --public-key are required\n");
  process.exit(2);
}

function loadOrCreateKey(file: string): crypto.KeyObject {
  if (existsSync(file)) return crypto.createPrivateKey(readFileSync(file, "utf8"));
  const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" });
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  return privateKey;
}

const privateKey = loadOrCreateKey(privateFile);
writeFileSync(publicFile, crypto.createPublicKey(privateKey).export({ type: "spki", format: "pem" }));
const kms = await startFakeKms({ port: Number(port) });
kms.createKeyVersion(keyVersion, "EC_SIGN_P384_SHA384", privateKey);
process.stdout.write(
  `fake KMS on 127.0.0.1:${kms.endpoint.port} with ${keyVersion} (public key ${publicFile})\n`,
);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void kms.stop().then(() => process.exit(0));
  });
}
