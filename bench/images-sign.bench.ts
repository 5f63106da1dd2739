/**
 * Image signing benchmark (npm run bench -- images-sign) → bench/results/images-sign.json.
 *
 * Latency (p50/p99, sequential) of, against a bare ECDSA P-384/SHA-384 sign and verify with node:crypto
 * measured in the same run:
 * - kmsSign: KmsSigner.sign through the real KeyManagementServiceClient to the fake KMS over gRPC (CRC32C
 *   checks included). The fake signs a precomputed digest with BigInt curve arithmetic, so `fakeKmsDigestSign`
 *   (that arithmetic alone) is reported too: kmsSign minus it is the client/gRPC/CRC overhead. Against
 *   Cloud KMS the HSM's own latency replaces it.
 * - signImage: the whole `images:sign` path against the local docker-registry (manifest check, KMS sign,
 *   payload/config/manifest pushes, read-back verification).
 * - verifyBundle: offline verification of a SHA2_384 bundle with @sigstore/verify (what the CI gate does).
 * - verifyFromRegistry: `images:verify` against the registry (manifest + blob fetches, then verifyBundle).
 * BENCH_SIGN_ITERATIONS (default 100) per measurement.
 */
import crypto from "node:crypto";
import { loadavg } from "node:os";
import { toBundle, verifyImageSignature } from "../images/signing/bundle.js";
import { KmsSigner } from "../images/signing/kms-signer.js";
import { simpleSigningPayload } from "../images/signing/payload.js";
import { RegistryClient } from "../images/signing/registry-client.js";
import { signImage } from "../images/signing/sign-image.js";
import { verifyImageInRegistry } from "../images/signing/verify-image.js";
import { signDigest } from "../test-support/fake-kms/ecdsa-prehashed.js";
import { startFakeKms } from "../test-support/fake-kms/index.js";
import { startRegistry } from "../test-support/registry/index.js";
import { pushTinyImage } from "../test-support/registry/tiny-image.js";
import { writeBenchResult } from "./write-result.js";

process.env.METADATA_SERVER_DETECTION = "none";
const ITERATIONS = Number(process.env.BENCH_SIGN_ITERATIONS ?? 100);
if (!Number.isInteger(ITERATIONS) || ITERATIONS < 1)
  throw new Error("BENCH_SIGN_ITERATIONS must be a positive integer");
const VERSION = "projects/bench/locations/us-central1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1";

async function measure(what: string, run: (i: number) => unknown | Promise<unknown>) {
  for (let i = 0; i < Math.min(5, ITERATIONS); i++) await run(i); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t = performance.now();
    await run(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!;
  const result = {
    iterations: ITERATIONS,
    p50Ms: round(at(50)),
    p99Ms: round(at(99)),
    meanMs: round(ms.reduce((a, b) => a + b, 0) / ms.length),
  };
  console.log(`${what}: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
  return result;
}
const round = (n: number) => Math.round(n * 1000) / 1000;

const loadBefore = loadavg();
const [registry, kms] = await Promise.all([startRegistry(), startFakeKms()]);
try {
  const pem = kms.createKeyVersion(VERSION);
  const client = kms.client();
  const signer = new KmsSigner(client, VERSION);
  const registryClient = new RegistryClient(registry.host, undefined);
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-384" });
  const payload = simpleSigningPayload(`${registry.host}/bench/image`, `sha256:${"ab".repeat(32)}`);
  const bareSignature = crypto.sign("sha384", payload, privateKey);

  const bareSign = await measure("bare node:crypto P-384 sign", () =>
    crypto.sign("sha384", payload, privateKey),
  );
  const bareVerify = await measure("bare node:crypto P-384 verify", () =>
    crypto.verify("sha384", payload, publicKey, bareSignature),
  );
  const digest = crypto.createHash("sha384").update(payload).digest();
  const fakeKmsDigestSign = await measure("fake KMS digest signing alone", () =>
    signDigest(privateKey, digest),
  );
  const kmsSign = await measure("KmsSigner.sign via gRPC", () => signer.sign(payload));

  const { signature } = await signer.sign(payload);
  const bundle = toBundle(payload, signature, pem);
  const verifyBundle = await measure("verify bundle offline", () => {
    const outcome = verifyImageSignature(bundle, payload, `sha256:${"ab".repeat(32)}`, pem);
    if (!outcome.ok) throw new Error(outcome.message);
  });

  const images = await Promise.all(
    Array.from({ length: ITERATIONS + Math.min(5, ITERATIONS) }, (_, i) =>
      pushTinyImage(registry.host, "bench/image", `bench ${i}`),
    ),
  );
  const signImageResult = await measure("images:sign path", (i) =>
    signImage(images[i]!, signer, registryClient),
  );
  const verifyFromRegistry = await measure("images:verify path", async (i) => {
    const outcome = await verifyImageInRegistry(images[i]!, pem, registryClient);
    if (!outcome.ok) throw new Error(outcome.message);
  });

  writeBenchResult("images", "sign", {
    description:
      "Sequential latency of KMS signing (fake KMS over gRPC), the images:sign and images:verify paths (local docker-registry) and offline bundle verification, against bare node:crypto ECDSA P-384/SHA-384 in the same run.",
    loadAverage: { before: loadBefore, after: loadavg() },
    baseline: { bareSign, bareVerify },
    fakeKmsDigestSign,
    kmsSign,
    signImage: signImageResult,
    verifyBundle,
    verifyFromRegistry,
    ratios: {
      kmsSignOverBareSign: round(kmsSign.p50Ms / bareSign.p50Ms),
      kmsClientOverheadMs: round(kmsSign.p50Ms - fakeKmsDigestSign.p50Ms),
      verifyBundleOverBareVerify: round(verifyBundle.p50Ms / bareVerify.p50Ms),
      verifyFromRegistryOverBareVerify: round(verifyFromRegistry.p50Ms / bareVerify.p50Ms),
    },
  });
  await client.close();
} finally {
  await Promise.all([registry.stop(), kms.stop()]);
}
