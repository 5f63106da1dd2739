/**
 * Image build time and size (issue 14): each product image built cold (`--fresh`: its Debian base by
 * mmdebstrap, its stand-ins and every layer rebuilt; the host's npm cache stays mounted, as in CI) and then
 * warm (nothing changed: cached bases, cached layers, the SBOM rewritten), and the image's size.
 * Baseline in the same run: a bare `podman build --no-cache` of a one-step Dockerfile on the cached Debian
 * base — podman's own overhead per build here. The load average is recorded because the cores are shared.
 * Run: npm run bench -- images-build   → bench/results/images-build.json   (BENCH_IMAGES=docker,… to limit;
 * needs root, podman and mmdebstrap; a cold run of all four takes about 15 minutes on 2 cores).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDebianBase } from "../images/build/bases.js";
import { buildImages } from "../images/build/build.js";
import { DEBIAN_BASES, IMAGE_NAMES } from "../images/build/plan.js";
import { missingBuildTools, podman, podmanEnv } from "../images/build/podman.js";
import { REPO_ROOT } from "../stacks/plan/stack-file.js";
import { writeBenchResult } from "./write-result.js";

const missing = missingBuildTools();
if (missing) {
  console.error(`images-build benchmark: ${missing}`);
  process.exit(1);
}
const names = (process.env.BENCH_IMAGES ?? IMAGE_NAMES.join(",")).split(",").filter(Boolean);
const env = podmanEnv(join(REPO_ROOT, ".tmp", "images-build"));

function bareBuildSeconds(): number {
  const base = ensureDebianBase(DEBIAN_BASES[0]!, { env, root: REPO_ROOT });
  const context = mkdtempSync(join(tmpdir(), "bench-bare-build-"));
  try {
    writeFileSync(join(context, "Dockerfile"), `FROM ${base}\nRUN true\n`);
    const started = performance.now();
    podman(
      ["build", "--isolation", "chroot", "--no-cache", "-t", "localhost/coditect-bench/bare:1", context],
      {
        env,
      },
    );
    return (performance.now() - started) / 1000;
  } finally {
    rmSync(context, { recursive: true, force: true });
    podman(["rmi", "localhost/coditect-bench/bare:1"], { env });
  }
}

const loadBefore = loadavg();
const baselineSeconds = bareBuildSeconds();
const images = [];
for (const name of names) {
  console.log(`${name}: cold build…`);
  const [cold] = buildImages([name], { root: REPO_ROOT, fresh: true, stack: "test" });
  console.log(`${name}: warm build…`);
  const [warm] = buildImages([name], { root: REPO_ROOT, stack: "test" });
  images.push({
    name,
    coldSeconds: Number(cold!.seconds.toFixed(1)),
    warmSeconds: Number(warm!.seconds.toFixed(1)),
    sizeBytes: warm!.sizeBytes,
    sizeMB: Number((warm!.sizeBytes / 1e6).toFixed(1)),
    coldOverBaseline: Number((cold!.seconds / baselineSeconds).toFixed(1)),
    warmOverBaseline: Number((warm!.seconds / baselineSeconds).toFixed(1)),
  });
  console.log(images.at(-1));
}
writeBenchResult("images", "build", {
  description:
    "podman build --isolation chroot of each product image from its shipping Dockerfile on stand-in bases: cold (bases, stand-ins and layers rebuilt; npm cache warm) and warm (all cached)",
  baseline: {
    description: "podman build --no-cache of FROM <debian base> + RUN true",
    seconds: baselineSeconds,
  },
  images,
  loadAverage: { before: loadBefore, after: loadavg() },
});
