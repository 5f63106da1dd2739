// Runs `npm run fake:workstations`'s entry point as a process and talks to it with the real client.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { v1 } from "@google-cloud/workstations";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";

process.env.METADATA_SERVER_DETECTION = "none";

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = path.resolve(here, "../../node_modules/.bin/tsx");
const children: ChildProcess[] = [];

function run(args: string[]): ChildProcess {
  const child = spawn(tsx, [path.join(here, "cli.ts"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return child;
}

async function output(stream: NodeJS.ReadableStream, until: (text: string) => boolean): Promise<string> {
  let text = "";
  for await (const chunk of stream) {
    text += String(chunk);
    if (until(text)) return text;
  }
  return text;
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGTERM");
});

describe("fake:workstations CLI", () => {
  it("serves a seeded cluster and configs on the printed endpoint", async () => {
    const child = run(["--port", "0", "--project", "proj", "--configs", "standard,ai", "--polls", "0"]);
    const line = JSON.parse(await output(child.stdout!, (t) => t.includes("\n"))) as {
      fakeWorkstations: string;
      configs: string[];
    };
    expect(line.configs).toEqual([
      "projects/proj/locations/us-central1/workstationClusters/coditect-ws-cluster/workstationConfigs/standard",
      "projects/proj/locations/us-central1/workstationClusters/coditect-ws-cluster/workstationConfigs/ai",
    ]);
    const [host, port] = line.fakeWorkstations.split(":");
    const client = new v1.WorkstationsClient({
      apiEndpoint: host,
      port: Number(port),
      sslCreds: grpc.credentials.createInsecure(),
    });
    try {
      const [operation] = await client.createWorkstation({
        parent: line.configs[1],
        workstationId: "w1",
        workstation: {},
      });
      expect(operation.done).toBe(true);
      const [configs] = await client.listWorkstationConfigs({
        parent: path.dirname(path.dirname(line.configs[0]!)),
      });
      expect(configs).toHaveLength(2);
    } finally {
      await client.close();
    }
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it.each([
    { args: ["--port", "http"], message: '--port must be an integer between 0 and 65535, got "http"' },
    { args: ["--polls=-1"], message: '--polls must be an integer between 0 and 1000, got "-1"' },
    { args: ["--configs", "Bad_Config"], message: 'config id "Bad_Config" is invalid' },
    { args: ["--verbose"], message: "unknown option '--verbose'" },
  ])("exits 2 naming the bad value for $args", async ({ args, message }) => {
    const child = run(args);
    const stderr = output(child.stderr!, () => false);
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
    expect(await stderr).toContain(message);
  });
});
