/**
 * What the image-signing tests start together: the real registry, the fake Cloud KMS with the key
 * versions they sign with, a temporary directory holding the first version's public key as the pinned
 * PEM, and the signing CLIs run as `npm run images:sign` / `images:verify` run them (a child process on
 * tsx, no cloud credentials: METADATA_SERVER_DETECTION=none, a throwaway HOME).
 *
 * Test infrastructure.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type FakeKms, startFakeKms } from "../fake-kms/index.js";
import { type LocalRegistry, startRegistry } from "./index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = import.meta.resolve("tsx");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs images/signing/<script>.ts with `args`, as the npm scripts do. */
export function runSigningCli(script: "sign-cli" | "verify-cli", args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", TSX, path.join(ROOT, `images/signing/${script}.ts`), ...args],
      {
        env: { PATH: process.env.PATH, HOME: os.tmpdir(), METADATA_SERVER_DETECTION: "none" },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

export interface SigningRig {
  registry: LocalRegistry;
  kms: FakeKms;
  /** `127.0.0.1:<port>` of the fake KMS (`--kms-endpoint`). */
  kmsEndpoint: string;
  /** A temporary directory, removed by stop(). */
  dir: string;
  /** The public key (PEM) of the first key version, in `dir`. */
  pemFile: string;
  stop(): Promise<void>;
}

/** Starts the registry and the fake KMS with ENABLED `keyVersions` (full cryptoKeyVersions names). */
export async function startSigningRig(
  dirPrefix: string,
  keyVersions: [string, ...string[]],
): Promise<SigningRig> {
  const [registry, kms] = await Promise.all([startRegistry(), startFakeKms()]);
  const dir = mkdtempSync(path.join(os.tmpdir(), dirPrefix));
  const pemFile = path.join(dir, "key.pem");
  const [pinned, ...others] = keyVersions;
  writeFileSync(pemFile, kms.createKeyVersion(pinned));
  for (const version of others) kms.createKeyVersion(version);
  return {
    registry,
    kms,
    kmsEndpoint: `127.0.0.1:${kms.endpoint.port}`,
    dir,
    pemFile,
    async stop() {
      await Promise.all([registry.stop(), kms.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
