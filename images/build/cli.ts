/**
 * `npm run images:build [-- <name>…]`: builds the product images with podman from the Dockerfiles that
 * ship (images/README.md, ADR 0180) and writes each one's SBOM to images/build/out/<name>.spdx.json.
 */
import { parseCommandLine } from "../../lib/cli.js";
import { bakesAgent, buildImages, DEFAULT_OUT_DIR, STACK_REQUIRED } from "./build.js";
import { IMAGE_NAMES, selectImages } from "./plan.js";
import { missingBuildTools } from "./podman.js";

const usage = `usage: npm run images:build -- --stack <name> [--out <dir>] [--fresh] [<name>…]
Builds ${IMAGE_NAMES.join(", ")} (all when no name is given) with podman (--isolation chroot), tagged
localhost/coditect/<name>:dev. Base images are stand-ins built from Debian packages with mmdebstrap and
cached by their package list; production pins the real ones by digest (images/README.md).
  --stack <name> the licensed images' agent gets the license server and offline-token JWKS of
                images/config/<name>.json baked in: prod for the release, test (127.0.0.1:47443 and a
                committed test key) for CI, local builds and the image tests. Required unless only
                billing and/or operator are built.
  --out <dir>   where the SBOMs (<name>.spdx.json, SPDX 2.3) and build records go (default ${DEFAULT_OUT_DIR})
  --fresh       ignore every cache (bases, stand-ins, layers): a cold build
Needs root and the Debian packages podman, buildah, mmdebstrap and uidmap.`;

const { values, positionals } = parseCommandLine({
  name: "images:build",
  usage,
  options: { out: { type: "string" }, fresh: { type: "boolean" }, stack: { type: "string" } },
  maxPositionals: IMAGE_NAMES.length,
});
const unknown = positionals.find((n) => !(IMAGE_NAMES as readonly string[]).includes(n));
if (unknown) {
  process.stderr.write(
    `images:build: unknown image "${unknown}" (known: ${IMAGE_NAMES.join(", ")})\n${usage}\n`,
  );
  process.exit(2);
}
if (!values.stack && selectImages(positionals).some(bakesAgent)) {
  process.stderr.write(`images:build: ${STACK_REQUIRED}\n${usage}\n`);
  process.exit(2);
}
const missing = missingBuildTools();
if (missing) {
  process.stderr.write(`images:build: ${missing}\n`);
  process.exit(1);
}
try {
  const built = buildImages(positionals, {
    outDir: values.out,
    stack: values.stack,
    fresh: values.fresh,
    verbose: true,
    log: (line) => console.log(`==> ${line}`),
  });
  for (const image of built)
    console.log(
      `${image.tag}  ${image.imageId.slice(0, 19)}  ${(image.sizeBytes / 1e6).toFixed(0)} MB  ${image.seconds.toFixed(1)} s  SBOM ${image.sbom}`,
    );
} catch (error) {
  process.stderr.write(`images:build: ${(error as Error).message}\n`);
  process.exit(1);
}
