/**
 * The KMS client the signing tools use: Application Default Credentials against Cloud KMS in production
 * (the release's workload identity); `--kms-endpoint 127.0.0.1:<port>` points it, over plain text, at the
 * local fake (tests, the sandbox) — loopback only, so a typo cannot send signing requests unencrypted.
 */
import { KeyManagementServiceClient } from "@google-cloud/kms";
import * as grpc from "@grpc/grpc-js";

export function kmsClient(endpoint?: string): KeyManagementServiceClient {
  if (!endpoint) return new KeyManagementServiceClient();
  const match = /^(127\.0\.0\.1|localhost):(\d{1,5})$/.exec(endpoint);
  if (!match)
    throw new Error(`--kms-endpoint must be 127.0.0.1:<port> (the local fake KMS), got "${endpoint}"`);
  return new KeyManagementServiceClient({
    apiEndpoint: match[1]!,
    port: Number(match[2]),
    sslCreds: grpc.credentials.createInsecure(),
  });
}

const KEY_VERSION =
  /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+\/cryptoKeyVersions\/[1-9]\d*$/;

/** Accepts `projects/…/cryptoKeyVersions/N` or cosign's `gcpkms://projects/…/cryptoKeyVersions/N`. */
export function parseKeyVersion(value: string): string {
  const name = value.replace(/^gcpkms:\/\//, "");
  if (!KEY_VERSION.test(name)) {
    throw new Error(
      `"${value}" is not a KMS key version (projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>/cryptoKeyVersions/<n>)`,
    );
  }
  return name;
}
