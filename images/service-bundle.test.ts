import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bundleService, parseDockerfileBuild, SERVICE_BUNDLES, type ServiceName } from "./service-bundle.js";

describe("parseDockerfileBuild", () => {
  it("reads entry, flags, outfile, WORKDIR and CMD across continued lines", () => {
    const parsed = parseDockerfileBuild(
      [
        "FROM x AS build",
        "WORKDIR /src",
        "RUN npx esbuild a/main.ts --bundle --format=esm \\",
        "      --outfile=dist/a.mjs \\",
        " && npm ci --omit=dev",
        "ENV IGNORED=build-stage",
        "FROM y",
        "WORKDIR /app",
        "ENV NODE_ENV=production",
        "COPY --from=build /src/dist/a.mjs ./a.mjs",
        "COPY --from=build /src/a/migrations ./migrations",
        'CMD ["a.mjs"]',
      ].join("\n"),
    );
    expect(parsed).toEqual({
      entry: "a/main.ts",
      flags: ["--bundle", "--format=esm"],
      outFile: "a.mjs",
      cmd: ["a.mjs"],
      workdir: "/app",
      env: { NODE_ENV: "production" },
      copies: [
        { from: "dist/a.mjs", to: "/app/a.mjs" },
        { from: "a/migrations", to: "/app/migrations" },
      ],
    });
  });

  it("names what is missing", () => {
    expect(() => parseDockerfileBuild('FROM x\nCMD ["a"]\n')).toThrow(/no `npx esbuild/);
  });
});

// billing/Dockerfile arrives with H5 (C3); until then only the operator's is checked.
const dockerfiles = (Object.keys(SERVICE_BUNDLES) as ServiceName[]).filter((s) =>
  existsSync(`${s}/Dockerfile`),
);

describe.each(dockerfiles)("%s/Dockerfile agrees with bundleService", (service) => {
  it("builds the same entry with the same esbuild flags and runs it with the same CMD in /app", () => {
    const parsed = parseDockerfileBuild(readFileSync(`${service}/Dockerfile`, "utf8"));
    const spec = SERVICE_BUNDLES[service];
    expect(parsed.entry).toBe(spec.entry);
    expect(parsed.flags).toEqual(spec.flags);
    expect(parsed.outFile).toBe(spec.imageFile);
    expect(parsed.cmd).toEqual([spec.imageFile]);
    expect(parsed.workdir).toBe("/app");
  });
});

describe("bundleService", () => {
  it("writes an ESM bundle that imports its dependencies from node_modules", () => {
    const dir = mkdtempSync(join(tmpdir(), "service-bundle-"));
    try {
      const out = bundleService("operator", join(dir, "operator.mjs"));
      const text = readFileSync(out, "utf8");
      // Dependencies stay external (pino, say); the operator no longer imports client-node (issue 18, ADR 0313).
      expect(text).toMatch(/from "pino"/);
      expect(text).not.toMatch(/^#!/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
