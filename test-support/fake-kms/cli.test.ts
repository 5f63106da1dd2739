import { spawn } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { kmsClient } from "../../images/signing/kms-client.js";
import { KmsSigner } from "../../images/signing/kms-signer.js";

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), "cli.ts");
const VERSION = "projects/x/locations/us-central1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3";

describe("npm run fake:kms", () => {
  it("serves the key versions it prints, to the real client through --kms-endpoint", async () => {
    process.env.METADATA_SERVER_DETECTION = "none";
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), CLI, "--key", VERSION], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
          if (out.includes("\n")) resolve(out.split("\n")[0]!);
        });
        child.once("exit", (code) => reject(new Error(`fake:kms exited ${code}`)));
      });
      const started = JSON.parse(line) as { fakeKms: string; keys: Record<string, string> };
      expect(Object.keys(started.keys)).toEqual([VERSION]);
      const client = kmsClient(started.fakeKms);
      const { signature } = await new KmsSigner(client, VERSION).sign(Buffer.from("data"));
      await client.close();
      expect(crypto.verify("sha384", Buffer.from("data"), started.keys[VERSION]!, signature)).toBe(true);
    } finally {
      child.kill("SIGTERM");
    }
  }, 60_000);

  it("the KMS client refuses a non-loopback plain-text endpoint", () => {
    expect(() => kmsClient("kms.example.com:443")).toThrow(/must be 127.0.0.1:<port>/);
  });
});
