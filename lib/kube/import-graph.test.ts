/**
 * ADR 0310's point: a process that uses lib/kube does not load @kubernetes/client-node. Bundled the way
 * the Dockerfiles bundle billing and the operator (esbuild, packages external), lib/kube's only reference
 * to client-node is the dynamic import for kubeconfig `exec`/`auth-provider` users, which runs only then.
 */
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

describe("lib/kube's import graph", () => {
  it("imports undici statically and client-node only dynamically", async () => {
    const result = await build({
      stdin: {
        contents: ["client", "conflict", "connection", "errors", "objects", "resources"]
          .map((m) => `export * from "./lib/kube/${m}.ts";`)
          .join("\n"),
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      target: "node24",
      format: "esm",
      packages: "external",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports);
    const kinds = (path: string) => [...new Set(imports.filter((i) => i.path === path).map((i) => i.kind))];
    expect(kinds("@kubernetes/client-node")).toEqual(["dynamic-import"]);
    expect(kinds("undici")).toEqual(["import-statement"]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => p.includes("node_modules"))).toEqual([]);
  });
});
