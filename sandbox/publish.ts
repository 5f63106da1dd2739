/**
 * The sandbox's supply-chain step (ADR 0192): when the licensed Docker image has been built
 * (`npm run images:build -- docker --stack test` leaves it in podman's storage), push it to the sandbox registry with
 * skopeo — as the release flow does, a tag plus the digest skopeo reports, and every later step addresses
 * the digest — then sign that digest through the fake Cloud KMS with the same code as `npm run
 * images:sign`, which stores the signature where cosign looks and checks it. Runs at `npm start` once the
 * registry and the KMS are healthy (alongside billing's start), and as `npm run sandbox:publish`.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { podmanEnv } from "../images/build/podman.js";
import { signatureTag } from "../images/signing/reference.js";
import { registryAvailable } from "../test-support/registry/index.js";
import { dataPaths, SANDBOX_LICENSED_IMAGE, SANDBOX_SIGNING_KEY_VERSION } from "./plan.js";
import { mintPublisherToken } from "./registry-token.js";

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** What the banner reports about the supply-chain part of the sandbox. */
export type SupplyChainStatus =
  | { kind: "off"; reason: string }
  | { kind: "publishing"; registry: string; kms: string }
  | { kind: "not-built"; registry: string; kms: string; reason: string }
  | {
      kind: "published";
      registry: string;
      kms: string;
      reference: string;
      seconds: number;
      /** True when this digest was already signed by this key at an earlier start (not signed again). */
      alreadySigned: boolean;
    }
  | { kind: "failed"; registry: string; kms: string; error: string };

/** The registry and the fake KMS run only with Debian's docker-registry installed. */
export function supplyChainAvailable(): boolean {
  return registryAvailable();
}

export const REGISTRY_MISSING =
  "/usr/bin/docker-registry is not installed, so the sandbox runs without its registry and fake Cloud KMS " +
  "(no image push, signing or verification): apt-get install docker-registry";

/** Why the licensed image cannot be published from podman's storage, or undefined when it can. */
export async function whyNotBuilt(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    await run("podman", ["image", "exists", SANDBOX_LICENSED_IMAGE.local], { env });
    return undefined;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { code?: number | string };
    if (failure.code === "ENOENT") return "podman is not installed (apt-get install podman skopeo)";
    return `${SANDBOX_LICENSED_IMAGE.local} is not built`;
  }
}

export interface PublishTarget {
  dataDir: string;
  /** `127.0.0.1:<port>` of the sandbox registry. */
  registry: string;
  /** `127.0.0.1:<port>` of the fake KMS. */
  kms: string;
  /** Aborting (the sandbox stopping) kills a running skopeo or images:sign. */
  signal?: AbortSignal;
}

/** Pushes and signs the licensed image if it is built; never throws (the status says what happened). */
export async function publishLicensedImage(target: PublishTarget): Promise<SupplyChainStatus> {
  const started = Date.now();
  const { registry, kms } = target;
  const workDir = join(target.dataDir, "podman");
  mkdirSync(workDir, { recursive: true });
  const env = podmanEnv(workDir);
  const reason = await whyNotBuilt(env);
  if (reason) return { kind: "not-built", registry, kms, reason };
  try {
    // The registry uses token auth with billing as the realm, and billing grants licenses pull only: the
    // sandbox pushes (and images:sign stores the signature) with its own publisher token (registry-token.ts).
    const token = await mintPublisherToken(target.dataDir, registry, [SANDBOX_LICENSED_IMAGE.repository]);
    const digest = await pushByDigest(
      SANDBOX_LICENSED_IMAGE.local,
      registry,
      workDir,
      { ...env, REGISTRY_BEARER_TOKEN: token },
      target.signal,
    );
    const reference = `${registry}/${SANDBOX_LICENSED_IMAGE.repository}@${digest}`;
    const record = { digest, key: keyFingerprint(target.dataDir) };
    const recordFile = join(target.dataDir, "registry", "published.json");
    // Signing starts a Node process and loads the KMS client (seconds); an unchanged image already signed
    // by the same (kept) key at an earlier start is not signed again.
    const alreadySigned = sameRecord(recordFile, record) && (await signatureStored(registry, digest, token));
    if (!alreadySigned) {
      await signThroughKms(reference, kms, { ...env, REGISTRY_BEARER_TOKEN: token }, target.signal);
      writeFileSync(recordFile, `${JSON.stringify(record)}\n`);
    }
    return {
      kind: "published",
      registry,
      kms,
      reference,
      seconds: (Date.now() - started) / 1000,
      alreadySigned,
    };
  } catch (error) {
    return { kind: "failed", registry, kms, error: (error as Error).message };
  }
}

function keyFingerprint(dataDir: string): string {
  return createHash("sha256")
    .update(readFileSync(dataPaths(dataDir).signingKey))
    .digest("hex");
}

function sameRecord(file: string, record: { digest: string; key: string }): boolean {
  try {
    const stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    return stored.digest === record.digest && stored.key === record.key;
  } catch {
    return false;
  }
}

/** Whether cosign's signature tag for the digest is in the registry. */
async function signatureStored(registry: string, digest: string, token: string): Promise<boolean> {
  const tag = signatureTag(digest);
  const response = await fetch(
    `http://${registry}/v2/${SANDBOX_LICENSED_IMAGE.repository}/manifests/${tag}`,
    {
      method: "HEAD",
      headers: { accept: "application/vnd.oci.image.manifest.v1+json", authorization: `Bearer ${token}` },
    },
  ).catch(() => undefined);
  return response?.status === 200;
}

/** skopeo copy from podman's storage; returns the manifest digest the registry stored. */
async function pushByDigest(
  local: string,
  registry: string,
  workDir: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<string> {
  const digestFile = join(workDir, "pushed.digest");
  rmSync(digestFile, { force: true });
  const destination = `docker://${registry}/${SANDBOX_LICENSED_IMAGE.repository}:${SANDBOX_LICENSED_IMAGE.tag}`;
  try {
    await run(
      "skopeo",
      [
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        "--dest-registry-token",
        env.REGISTRY_BEARER_TOKEN ?? "",
        "--digestfile",
        digestFile,
        `containers-storage:${local}`,
        destination,
      ],
      { env, maxBuffer: 16 * 1024 * 1024, signal },
    );
  } catch (error) {
    const failure = error as Error & { stderr?: string; code?: string };
    if (failure.code === "ENOENT") throw new Error("skopeo is not installed (apt-get install skopeo)");
    throw new Error(`skopeo copy to ${destination} failed: ${(failure.stderr ?? failure.message).trim()}`);
  }
  const digest = readFileSync(digestFile, "utf8").trim();
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`skopeo reported no digest (got "${digest}")`);
  return digest;
}

/**
 * `npm run images:sign` itself, as a separate process (what ops run; it also keeps the KMS client's large
 * import and its metadata-server probing out of the sandbox process): KMS signer, cosign storage, and a
 * verification of what was stored.
 */
async function signThroughKms(
  reference: string,
  kmsEndpoint: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await run(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "images", "signing", "sign-cli.ts"),
        reference,
        "--kms",
        SANDBOX_SIGNING_KEY_VERSION,
        "--kms-endpoint",
        kmsEndpoint,
      ],
      // Not Google Cloud: no probing for a GCE metadata server.
      { cwd: ROOT, env: { ...env, METADATA_SERVER_DETECTION: "none" }, signal },
    );
  } catch (error) {
    const failure = error as Error & { stderr?: string };
    throw new Error(`images:sign ${reference} failed: ${(failure.stderr || failure.message).trim()}`);
  }
}
