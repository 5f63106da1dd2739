/**
 * The billing process does not import @kubernetes/client-node (issue 18): billing/server.ts bundled exactly
 * as billing/Dockerfile does (images/service-bundle.ts's flags), and esbuild's metafile says which packages
 * the bundle imports. Billing talks to Kubernetes through lib/kube only; client-node stays a tool of the
 * sandbox, the rehearsal and tests. The one allowed reference is lib/kube's lazy `import()` for kubeconfig
 * users with `exec`/`auth-provider` (a laptop's gcloud plugin), which a pod never reaches.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SERVICE_BUNDLES } from "../images/service-bundle.js";

interface Metafile {
  inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}

const CLIENT_NODE = "@kubernetes/client-node";
const dir = mkdtempSync(join(tmpdir(), "billing-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function billingMetafile(): Metafile {
  const spec = SERVICE_BUNDLES.billing;
  const metafile = join(dir, "meta.json");
  const built = spawnSync(
    join("node_modules", ".bin", "esbuild"),
    [
      spec.entry,
      ...spec.flags,
      `--outfile=${join(dir, spec.imageFile)}`,
      `--metafile=${metafile}`,
      "--log-level=error",
    ],
    { encoding: "utf8" },
  );
  if (built.status !== 0) throw new Error(`billing bundle failed: ${built.stderr || String(built.error)}`);
  return JSON.parse(readFileSync(metafile, "utf8")) as Metafile;
}

describe("the billing process's import graph", () => {
  it("has no static import of @kubernetes/client-node, and no input from it", () => {
    const meta = billingMetafile();
    const files = Object.keys(meta.inputs);
    // Billing's own Kubernetes code is in the bundle (so the check below looks at the right graph).
    expect(files).toEqual(
      expect.arrayContaining([
        "billing/cluster/feed.ts",
        "billing/sessions/cluster.ts",
        "lib/kube/client.ts",
      ]),
    );
    expect(files.filter((file) => file.includes(CLIENT_NODE))).toEqual([]);
    const references = Object.entries(meta.inputs).flatMap(([file, input]) =>
      input.imports
        .filter((imported) => imported.path === CLIENT_NODE || imported.path.startsWith(`${CLIENT_NODE}/`))
        .map((imported) => ({ file, kind: imported.kind })),
    );
    expect(references.filter((ref) => ref.kind !== "dynamic-import")).toEqual([]);
    // A lazy import only where lib/kube authenticates an exec/auth-provider kubeconfig user.
    expect(references.filter((ref) => !ref.file.startsWith("lib/kube/"))).toEqual([]);
  });
});
