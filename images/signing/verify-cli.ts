/**
 * `npm run images:verify -- <registry/repo@sha256:…> [--key <pem>|--kms <key version>]`: verifies the
 * image's signature from the registry, offline with @sigstore/verify against the pinned public key.
 * `npm run images:verify -- --stack <name>`: the CI gate — every digest pinned in Pulumi.<name>.yaml
 * must have a valid signature in images/signatures/<name>.json by the key in images/keys/<name>.pem.
 * Exit 0 verified, 1 not verified (the reason is named), 2 usage. docs/supply-chain.md.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseCommandLine } from "../../lib/cli.js";
import { REPO_ROOT, readStackFile } from "../../stacks/plan/stack-file.js";
import { kmsClient, parseKeyVersion } from "./kms-client.js";
import { KmsSigner } from "./kms-signer.js";
import { parseDigestReference } from "./reference.js";
import { RegistryClient } from "./registry-client.js";
import { pinnedKeyPath, readSignaturesFile, signaturesPath } from "./signatures-file.js";
import { checkPinnedImages, pinnedImages } from "./stack-gate.js";
import { verifyImageInRegistry } from "./verify-image.js";

const USAGE = `usage: npm run images:verify -- <registry>/<repository>@sha256:<digest> (--key <pem> | --kms <key version>)
       npm run images:verify -- --stack <name> [--key <pem>] [--signatures <file>]

  --key <file>            the pinned public key (PEM); for --stack default images/keys/<name>.pem
  --kms <name>            fetch the public key of this KMS key version instead (needs cloudkms.publicKeyViewer)
  --kms-endpoint <h:p>    the local fake KMS (127.0.0.1:<port>)
  --stack <name>          check every image digest pinned in Pulumi.<name>.yaml
  --signatures <file>     for --stack: default images/signatures/<name>.json
  --root <dir>            for --stack: the repository holding Pulumi.<name>.yaml and images/ (default: this one)`;

const { values, positionals } = parseCommandLine({
  name: "images:verify",
  usage: USAGE,
  maxPositionals: 1,
  options: {
    key: { type: "string" },
    kms: { type: "string" },
    "kms-endpoint": { type: "string" },
    stack: { type: "string" },
    signatures: { type: "string" },
    root: { type: "string" },
  },
});
const root = values.root ? path.resolve(values.root) : REPO_ROOT;

function fail(message: string, code: number): never {
  process.stderr.write(`images:verify: ${message}\n`);
  process.exit(code);
}

function readKey(file: string): string {
  if (!existsSync(file)) fail(`no public key at ${file}`, 1);
  return readFileSync(file, "utf8");
}

async function publicKey(): Promise<string> {
  if (values.key && values.kms) fail("give --key or --kms, not both", 2);
  if (values.key) return readKey(values.key);
  if (!values.kms) fail(`--key or --kms is required\n${USAGE}`, 2);
  let keyVersion: string;
  try {
    keyVersion = parseKeyVersion(values.kms);
  } catch (error) {
    fail((error as Error).message, 2);
  }
  const client = kmsClient(values["kms-endpoint"]);
  try {
    return (await new KmsSigner(client, keyVersion).publicKey()).pem;
  } catch (error) {
    fail((error as Error).message, 1);
  } finally {
    await client.close();
  }
}

async function verifyStack(stack: string): Promise<void> {
  if (positionals.length > 0) fail("--stack checks the stack's pinned images: give no image reference", 2);
  let images: ReturnType<typeof pinnedImages>;
  try {
    images = pinnedImages(readStackFile(root, stack).config);
  } catch (error) {
    fail((error as Error).message, 2);
  }
  if (images.length === 0) {
    process.stdout.write(
      `images:verify: Pulumi.${stack}.yaml pins no image digest yet (set at release, docs/operations.md step 9): nothing to check\n`,
    );
    return;
  }
  const pem = readKey(values.key ?? pinnedKeyPath(root, stack));
  const file = values.signatures ?? signaturesPath(root, stack);
  const results = checkPinnedImages(images, readSignaturesFile(file), pem);
  for (const r of results) {
    process.stdout.write(
      r.outcome.ok
        ? `verified ${r.configKey} ${r.reference} (${r.outcome.hashAlgorithm})\n`
        : `FAILED ${r.configKey} ${r.reference}: ${r.outcome.reason}: ${r.outcome.message}\n`,
    );
  }
  const failed = results.filter((r) => !r.outcome.ok).length;
  if (failed > 0)
    fail(`${failed} of ${results.length} pinned images not verified (${path.relative(root, file)})`, 1);
}

if (values.stack) {
  await verifyStack(values.stack);
} else {
  if (!positionals[0]) fail(`an image reference or --stack is required\n${USAGE}`, 2);
  let ref: ReturnType<typeof parseDigestReference>;
  try {
    ref = parseDigestReference(positionals[0]);
  } catch (error) {
    fail((error as Error).message, 2);
  }
  const pem = await publicKey();
  const outcome = await verifyImageInRegistry(ref, pem, new RegistryClient(ref.registry)).catch(
    (error: Error) => fail(error.message, 1),
  );
  if (!outcome.ok) fail(`FAILED ${positionals[0]}: ${outcome.reason}: ${outcome.message}`, 1);
  process.stdout.write(`verified ${positionals[0]} (${outcome.hashAlgorithm}, pinned key)\n`);
}
