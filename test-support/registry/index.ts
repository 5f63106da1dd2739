/**
 * A real OCI registry for tests, benchmarks and the sandbox: Debian's `docker-registry` (the CNCF
 * distribution server) on 127.0.0.1 with storage in a temporary directory. Plain HTTP on loopback, no
 * auth — what the image push/sign/verify code talks to is the registry's own HTTP API (ADR 0189).
 *
 * Test infrastructure and sandbox stand-in (Artifact Registry in production).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "../postgres/server.js";
import { waitFor } from "../wait.js";

export const REGISTRY_BINARY = process.env.DOCKER_REGISTRY_BINARY ?? "/usr/bin/docker-registry";

export interface LocalRegistry {
  /** `127.0.0.1:<port>`: the host part of image references. */
  host: string;
  stop(): Promise<void>;
}

export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BINARY);
}

/** Docker Registry v2 token authentication (how Artifact Registry and billing's sandbox pull tokens work). */
export interface RegistryTokenAuth {
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the CA whose certificates sign the tokens (their `x5c` header chains to it). */
  rootCertBundlePem: string;
}

export async function startRegistry(
  options: {
    tokenAuth?: RegistryTokenAuth;
    /** Storage kept across registries (seed without auth, then serve with token auth); not removed by stop(). */
    storageDirectory?: string;
  } = {},
): Promise<LocalRegistry> {
  if (!registryAvailable()) {
    throw new Error(
      `${REGISTRY_BINARY} not found: apt-get install docker-registry (Debian's CNCF distribution)`,
    );
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "coditect-registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = path.join(dir, "config.yml");
  const auth = options.tokenAuth;
  if (auth) await writeFile(path.join(dir, "token-ca.pem"), auth.rootCertBundlePem);
  await writeFile(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${options.storageDirectory ?? path.join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${host}`,
      ...(auth
        ? [
            "auth:",
            "  token:",
            `    realm: ${auth.realm}`,
            `    service: ${auth.service}`,
            `    issuer: ${auth.issuer}`,
            `    rootcertbundle: ${path.join(dir, "token-ca.pem")}`,
          ]
        : []),
      "",
    ].join("\n"),
  );
  let output = "";
  const child: ChildProcess = spawn(REGISTRY_BINARY, ["serve", config], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk) => (output = (output + chunk).slice(-4000)));
  child.stderr?.on("data", (chunk) => (output = (output + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`docker-registry on ${host}`, async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}: ${output}`);
      // With token auth the base endpoint answers 401 with a challenge: that too means "up".
      const status = (await fetch(`http://${host}/v2/`)).status;
      return status === 200 || (auth !== undefined && status === 401);
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, stop };
}
