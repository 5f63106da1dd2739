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

export async function startRegistry(): Promise<LocalRegistry> {
  if (!registryAvailable()) {
    throw new Error(
      `${REGISTRY_BINARY} not found: apt-get install docker-registry (Debian's CNCF distribution)`,
    );
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "coditect-registry-"));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = path.join(dir, "config.yml");
  await writeFile(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${path.join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${host}`,
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
      return (await fetch(`http://${host}/v2/`)).status === 200;
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, stop };
}
