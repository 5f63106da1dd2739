/**
 * TEST ONLY: the build inputs of `images:build --stack test` (images/config/test.json) and the private half
 * of its offline-token key, committed on purpose so the images built for CI and the image tests and the
 * sessions harness those tests run agree on the keys (ADR 0183). No deployed stack uses this key: a
 * production agent trusts only its own stack's JWKS (images/config/prod.json).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type OfflineTokenKeySet, signingKeyFromJwk } from "../../lib/offline-tokens/index.js";

const here = import.meta.dirname;

/** images/config/test.json as the image build reads it. */
export const TEST_STACK_CONFIG = JSON.parse(
  readFileSync(join(here, "..", "..", "images", "config", "test.json"), "utf8"),
) as { licenseServer: string; jwks: { keys: { kid: string; x: string }[] } };

/** The license server baked into test-stack images: https on 127.0.0.1 at a fixed port. */
export const TEST_LICENSE_SERVER = new URL(TEST_STACK_CONFIG.licenseServer);

/** The offline-token key set whose public half the test-stack images carry. */
export async function testImageKeySet(): Promise<OfflineTokenKeySet> {
  const { key } = JSON.parse(readFileSync(join(here, "offline-token-test-key.json"), "utf8")) as {
    key: { kty: "OKP"; crv: "Ed25519"; x: string; d: string; kid: string };
  };
  return { current: await signingKeyFromJwk(key) };
}
