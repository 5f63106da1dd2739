/**
 * `npm run images:sign -- <registry/repo@sha256:…> --kms <key version> [--kms-endpoint 127.0.0.1:<port>]
 * [--signatures <file>]`: signs the image's manifest digest through Cloud KMS, stores the signature in the
 * registry where cosign looks, checks it, and records the sigstore bundle in the signatures file.
 * docs/supply-chain.md.
 */
import { parseCommandLine } from "../../lib/cli.js";
import { kmsClient, parseKeyVersion } from "./kms-client.js";
import { KmsSigner } from "./kms-signer.js";
import { parseDigestReference, signatureTag } from "./reference.js";
import { RegistryClient } from "./registry-client.js";
import { signImage } from "./sign-image.js";
import { recordSignature } from "./signatures-file.js";

const USAGE = `usage: npm run images:sign -- <registry>/<repository>@sha256:<digest> --kms <key version> [options]

  --kms <name>            projects/…/cryptoKeyVersions/<n> (or gcpkms://…) of the signing key
  --kms-endpoint <h:p>    the local fake KMS (127.0.0.1:<port>); default: Cloud KMS with ADC
  --signatures <file>     also record the bundle in this signatures file (images/signatures/<stack>.json)

Registry credentials (not needed for a loopback registry): REGISTRY_USERNAME, REGISTRY_PASSWORD.`;

const { values, positionals } = parseCommandLine({
  name: "images:sign",
  usage: USAGE,
  maxPositionals: 1,
  options: {
    kms: { type: "string" },
    "kms-endpoint": { type: "string" },
    signatures: { type: "string" },
  },
});

function fail(message: string, code = 1): never {
  process.stderr.write(`images:sign: ${message}\n`);
  process.exit(code);
}

if (!positionals[0] || !values.kms) fail(`an image reference and --kms are required\n${USAGE}`, 2);
let keyVersion: string;
let ref: ReturnType<typeof parseDigestReference>;
try {
  keyVersion = parseKeyVersion(values.kms);
  ref = parseDigestReference(positionals[0]);
} catch (error) {
  fail((error as Error).message, 2);
}

const client = kmsClient(values["kms-endpoint"]);
try {
  const signed = await signImage(ref, new KmsSigner(client, keyVersion), new RegistryClient(ref.registry));
  if (values.signatures) {
    recordSignature(
      values.signatures,
      signed.reference,
      { payload: signed.payload, bundle: signed.bundle },
      keyVersion,
    );
  }
  process.stdout.write(
    `${JSON.stringify({
      signed: signed.reference,
      signatureTag: `${ref.registry}/${ref.repository}:${signatureTag(ref.digest)}`,
      signatureManifest: signed.signatureManifest,
      keyVersion,
      hashAlgorithm: signed.bundle.messageSignature.messageDigest.algorithm,
    })}\n`,
  );
} catch (error) {
  fail((error as Error).message);
} finally {
  await client.close();
}
