/**
 * The billing image's bundle runs with only what billing/Dockerfile copies: the esbuild command of the
 * Dockerfile (read from it, so the two cannot drift) bundles billing/server.ts into a temporary /app-like
 * directory with node_modules and migrations/ next to it; the bundle then migrates a real PostgreSQL,
 * serves /readyz and stops on SIGTERM.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type FakeStripe, fakeStripePriceEnv, startFakeStripe } from "../test-support/fake-stripe/index.js";
import { testDatabase } from "../test-support/postgres/index.js";
import { waitFor } from "../test-support/wait.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The esbuild arguments of billing/Dockerfile's RUN line (continuation lines joined). */
function dockerfileEsbuildArgs(dockerfile: string): string[] {
  const joined = dockerfile.replace(/\\\n\s*/g, " ");
  const match = /RUN npx esbuild (.+?)(?: &&|\n)/.exec(joined);
  if (!match) throw new Error("no `RUN npx esbuild …` line in billing/Dockerfile");
  return match[1]!.trim().split(/\s+/);
}

describe("billing/Dockerfile's bundle", () => {
  let app: string | undefined;
  let fake: FakeStripe | undefined;
  afterAll(async () => {
    await fake?.stop();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it("copies the migrations next to the bundle and runs as uid 65532 from /app", () => {
    const dockerfile = readFileSync(join(root, "billing/Dockerfile"), "utf8");
    expect(dockerfileEsbuildArgs(dockerfile)).toEqual([
      "billing/server.ts",
      "--bundle",
      "--platform=node",
      "--target=node24",
      "--format=esm",
      "--packages=external",
      "--outfile=dist/billing.mjs",
    ]);
    const operator = dockerfileEsbuildArgs(readFileSync(join(root, "operator/Dockerfile"), "utf8"));
    // Same options as the operator's image, only the entry point and output differ.
    expect(operator.slice(1, -1)).toEqual(dockerfileEsbuildArgs(dockerfile).slice(1, -1));
    expect(dockerfile).toMatch(/COPY --from=build \/src\/billing\/migrations \.\/migrations/);
    expect(dockerfile).toMatch(/COPY --from=build \/src\/billing\/accounts\/static \.\/account-static/);
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
    expect(dockerfile).toMatch(/^CMD \["billing\.mjs"\]$/m);
  });

  it("migrates a real PostgreSQL and serves from a directory holding only the bundle, node_modules, migrations and the account pages' static files", async () => {
    const dockerfile = readFileSync(join(root, "billing/Dockerfile"), "utf8");
    app = mkdtempSync(join(tmpdir(), "billing-image-"));
    const args = dockerfileEsbuildArgs(dockerfile).map((a) =>
      a.startsWith("--outfile=") ? `--outfile=${join(app!, "billing.mjs")}` : a,
    );
    execFileSync(join(root, "node_modules/.bin/esbuild"), [...args, "--log-level=warning"], { cwd: root });
    cpSync(join(root, "billing/migrations"), join(app, "migrations"), { recursive: true });
    cpSync(join(root, "billing/accounts/static"), join(app, "account-static"), { recursive: true });
    cpSync(join(root, "package.json"), join(app, "package.json"));
    symlinkSync(join(root, "node_modules"), join(app, "node_modules"));

    fake = await startFakeStripe();
    const child = spawn(process.execPath, ["billing.mjs"], {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? "",
        NODE_ENV: "production",
        PORT: "0",
        DATABASE_URL: await testDatabase("billing_image"),
        STRIPE_SECRET_KEY: "sk_test_image",
        STRIPE_WEBHOOK_SECRET: "whsec_image",
        ADMIN_TOKEN: "image-test-admin-token-0123456789abcdef",
        STRIPE_API_URL: fake.url,
        ...fakeStripePriceEnv(),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const port = await waitFor("billing listening (or its exit)", () => {
        if (child.exitCode !== null) throw new Error(`the bundle exited ${child.exitCode}:\n${output}`);
        const line = output.split("\n").find((l) => l.includes('"billing listening"'));
        return line ? (JSON.parse(line) as { port: number }).port : undefined;
      });
      const migrated = output.split("\n").find((l) => l.includes('"database migrated"'));
      expect((JSON.parse(migrated!) as { applied: number[] }).applied.length).toBeGreaterThan(0);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  }, 90_000);
});
