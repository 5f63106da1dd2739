/**
 * A local fake of Cloud KMS (google.cloud.kms.v1.KeyManagementService) over gRPC, serving the protos the
 * `@google-cloud/kms` package ships (as the fake Cloud Workstations does, ADR 0050), so the real
 * `KeyManagementServiceClient` is what talks to it. It models what image signing uses: asymmetric signing
 * key versions with real EC keys (P-384/SHA-384 as the HSM key, P-256/SHA-256), GetPublicKey (PEM with
 * pem_crc32c), AsymmetricSign over a digest (digest_crc32c checked, signature_crc32c and
 * verified_digest_crc32c returned), and the errors a caller must handle: NOT_FOUND for an unknown version,
 * PERMISSION_DENIED for a version the caller may not use, FAILED_PRECONDITION for a disabled version.
 * What it does not model: key rings/keys CRUD, IAM policies, other purposes (encrypt, MAC). docs/supply-chain.md.
 *
 * Test infrastructure and sandbox stand-in: never point production at it.
 */
import crypto from "node:crypto";
import { KeyManagementServiceClient } from "@google-cloud/kms";
import * as grpc from "@grpc/grpc-js";
import { crc32c, int64Value } from "../../images/signing/crc32c.js";
import { FakeStatusError, loadClientServices, serveGrpc, unaryHandlers } from "../grpc-fake.js";
import { signDigest } from "./ecdsa-prehashed.js";

export type FakeKmsAlgorithm = "EC_SIGN_P384_SHA384" | "EC_SIGN_P256_SHA256";
const ALGORITHMS: Record<
  FakeKmsAlgorithm,
  { curve: string; digestField: "sha384" | "sha256"; bytes: number }
> = {
  EC_SIGN_P384_SHA384: { curve: "P-384", digestField: "sha384", bytes: 48 },
  EC_SIGN_P256_SHA256: { curve: "P-256", digestField: "sha256", bytes: 32 },
};

const VERSION_NAME =
  /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+\/cryptoKeyVersions\/[1-9]\d*$/;

interface KeyVersion {
  name: string;
  algorithm: FakeKmsAlgorithm;
  privateKey: crypto.KeyObject;
  publicKeyPem: string;
  state: "ENABLED" | "DISABLED";
  /** False models a caller without cloudkms.cryptoKeyVersions.useToSign / viewPublicKey on it. */
  permitted: boolean;
}

export interface FakeKms {
  endpoint: { host: string; port: number };
  /** A real KeyManagementServiceClient pointed at the fake (insecure channel). Closed by stop(). */
  client(): KeyManagementServiceClient;
  /**
   * Creates an ENABLED key version with a fresh key pair (or `privateKey`, so the sandbox keeps one key
   * across restarts); returns its public key (PEM).
   */
  createKeyVersion(name: string, algorithm?: FakeKmsAlgorithm, privateKey?: crypto.KeyObject): string;
  setState(name: string, state: "ENABLED" | "DISABLED"): void;
  /** Calls on this version answer PERMISSION_DENIED (the caller lacks the IAM role). */
  denyPermission(name: string): void;
  faults: {
    /** The next AsymmetricSign answers a signature whose bytes do not match its signature_crc32c. */
    corruptNextSignature(): void;
  };
  /** Calls received per RPC name ("AsymmetricSign", "GetPublicKey"). */
  calls(method: string): number;
  stop(): Promise<void>;
}

const loadService = () =>
  loadClientServices(
    "@google-cloud/kms",
    ["google/cloud/kms/v1/service.proto"],
    ["google.cloud.kms.v1.KeyManagementService"],
    { enums: String, oneofs: true },
  )[0]!;

export async function startFakeKms(options: { port?: number } = {}): Promise<FakeKms> {
  const versions = new Map<string, KeyVersion>();
  const callCounts = new Map<string, number>();
  let corruptNext = false;

  const lookup = (name: unknown, permission: string): KeyVersion => {
    if (typeof name !== "string" || !VERSION_NAME.test(name)) {
      throw new FakeStatusError(
        grpc.status.INVALID_ARGUMENT,
        `Resource name [${String(name)}] does not match any known resource name pattern.`,
      );
    }
    const version = versions.get(name);
    if (!version) throw new FakeStatusError(grpc.status.NOT_FOUND, `${name} not found.`);
    if (!version.permitted) {
      throw new FakeStatusError(
        grpc.status.PERMISSION_DENIED,
        `Permission '${permission}' denied on resource '${name}' (or it may not exist).`,
      );
    }
    return version;
  };

  const handlers: Record<string, (request: Record<string, unknown>) => object> = {
    GetPublicKey(request) {
      const version = lookup(request.name, "cloudkms.cryptoKeyVersions.viewPublicKey");
      if (version.state !== "ENABLED") {
        throw new FakeStatusError(
          grpc.status.FAILED_PRECONDITION,
          `${version.name} is not enabled, current state is: ${version.state}.`,
        );
      }
      return {
        pem: version.publicKeyPem,
        algorithm: version.algorithm,
        pemCrc32c: { value: String(crc32c(version.publicKeyPem)) },
        name: version.name,
        protectionLevel: "HSM",
      };
    },
    AsymmetricSign(request) {
      const version = lookup(request.name, "cloudkms.cryptoKeyVersions.useToSign");
      if (version.state !== "ENABLED") {
        throw new FakeStatusError(
          grpc.status.FAILED_PRECONDITION,
          `${version.name} is not enabled, current state is: ${version.state}.`,
        );
      }
      const spec = ALGORITHMS[version.algorithm];
      const digestMessage = (request.digest ?? {}) as Record<string, unknown>;
      const digest = digestMessage[spec.digestField];
      if (!(digest instanceof Uint8Array) || digest.length !== spec.bytes) {
        throw new FakeStatusError(
          grpc.status.INVALID_ARGUMENT,
          `The request digest must be a ${spec.digestField.toUpperCase()} digest of ${spec.bytes} bytes for algorithm ${version.algorithm}.`,
        );
      }
      const digestCrc = int64Value(request.digestCrc32c);
      if (digestCrc !== undefined && digestCrc !== crc32c(digest)) {
        throw new FakeStatusError(
          grpc.status.INVALID_ARGUMENT,
          "The checksum in field digest_crc32c did not match the data in field digest.",
        );
      }
      const signature = signDigest(version.privateKey, digest);
      const checksum = crc32c(signature);
      if (corruptNext) {
        corruptNext = false;
        signature[signature.length - 1]! ^= 0x01;
      }
      return {
        signature,
        signatureCrc32c: { value: String(checksum) },
        verifiedDigestCrc32c: digestCrc !== undefined,
        verifiedDataCrc32c: false,
        name: version.name,
        protectionLevel: "HSM",
      };
    },
  };

  // Every other RPC of the service answers UNIMPLEMENTED (grpc-js does that for missing handlers).
  const countCall = (method: string) => callCounts.set(method, (callCounts.get(method) ?? 0) + 1);
  const server = await serveGrpc(
    "fake KMS",
    [[loadService(), unaryHandlers("fake KMS", handlers, countCall)]],
    options.port,
  );
  const port = server.port;
  const clients: KeyManagementServiceClient[] = [];
  const existing = (name: string) => {
    const version = versions.get(name);
    if (!version) throw new Error(`fake KMS: no key version ${name}`);
    return version;
  };

  return {
    endpoint: { host: "127.0.0.1", port },
    client() {
      const client = new KeyManagementServiceClient({
        apiEndpoint: "127.0.0.1",
        port,
        sslCreds: grpc.credentials.createInsecure(),
      });
      clients.push(client);
      return client;
    },
    createKeyVersion(name, algorithm = "EC_SIGN_P384_SHA384", given) {
      if (!VERSION_NAME.test(name)) throw new Error(`fake KMS: ${name} is not a cryptoKeyVersions name`);
      const curve = ALGORITHMS[algorithm].curve;
      if (
        given &&
        given.asymmetricKeyDetails?.namedCurve !== (curve === "P-384" ? "secp384r1" : "prime256v1")
      ) {
        throw new Error(`fake KMS: the key given for ${name} is not a ${curve} private key`);
      }
      const privateKey = given ?? crypto.generateKeyPairSync("ec", { namedCurve: curve }).privateKey;
      const publicKeyPem = crypto
        .createPublicKey(privateKey)
        .export({ type: "spki", format: "pem" })
        .toString();
      versions.set(name, { name, algorithm, privateKey, publicKeyPem, state: "ENABLED", permitted: true });
      return publicKeyPem;
    },
    setState(name, state) {
      existing(name).state = state;
    },
    denyPermission(name) {
      existing(name).permitted = false;
    },
    faults: {
      corruptNextSignature() {
        corruptNext = true;
      },
    },
    calls: (method) => callCounts.get(method) ?? 0,
    async stop() {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      await server.stop();
    },
  };
}
