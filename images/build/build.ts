/**
 * Builds the product images with podman from the Dockerfiles that ship (ADR 0180): the stand-in bases go
 * in as the build arguments production pins by digest, the build context is the repository root, and
 * each image's SBOM and a short record (tag, image id, size, bases) are written to images/build/out/.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkAgentBuild } from "../agent/build-info.js";
import { buildFromOptions } from "../agent/bundle.js";
import { ensureStandIn } from "./bases.js";
import { type ProductImage, STAND_INS, selectImages, standInsFor } from "./plan.js";
import { inspectImage, podman, podmanEnv, withMountedImage } from "./podman.js";
import { bundledNpmPackages, parseDpkgStatus, type SbomPackage, spdxDocument } from "./sbom.js";

export const DEFAULT_OUT_DIR = join("images", "build", "out");

export interface BuildOptions {
  root?: string;
  /**
   * images/config/<stack>.json: the license server and offline-token JWKS baked into the licensed images'
   * agent (their Dockerfiles' STACK argument, ADR 0183). Required when a licensed image is built.
   */
  stack?: string;
  outDir?: string;
  /** Ignore every cache (bases, stand-ins, layers): the cold build of the benchmark. */
  fresh?: boolean;
  verbose?: boolean;
  log?: (line: string) => void;
  clock?: () => number;
}

export interface BuiltImage {
  name: ProductImage["name"];
  tag: string;
  imageId: string;
  sizeBytes: number;
  baseImages: Record<string, string>;
  /** The agent's build inputs (images/config/<stack>.json), for the licensed images. */
  stack?: string;
  sbom: string;
  /** Wall time of this image's build, bases included when this image was the first to need them. */
  seconds: number;
}

/**
 * Mounts for the build's RUN steps, not part of any image: the host's npm cache (so `npm ci` does not
 * download everything again) and, where the host reaches the registry through a TLS-inspecting proxy,
 * its CA bundle with an npmrc pointing npm at it.
 */
function npmBuildMounts(env: NodeJS.ProcessEnv, workDir: string): string[] {
  const config = (key: string) =>
    spawnSync("npm", ["config", "get", key], { env, encoding: "utf8" }).stdout.trim();
  const mounts: string[] = [];
  const cache = config("cache");
  if (cache && existsSync(cache)) mounts.push("-v", `${cache}:/root/.npm`);
  // npm reads its global npmrc from the running node's prefix: under Node 24 from node_modules that is not
  // /etc/npmrc, so a proxy's CA configured there is missed; the CA bundle the environment names is the fallback.
  const cafile = [config("cafile"), env.SSL_CERT_FILE, env.NODE_EXTRA_CA_CERTS].find(
    (file) => file && file !== "null" && file !== "undefined" && existsSync(file),
  );
  const npmrc = [`prefer-offline=true`];
  if (cafile) {
    mounts.push("-v", `${cafile}:/run/coditect-build/ca.crt:ro`);
    npmrc.push("cafile=/run/coditect-build/ca.crt");
  }
  const npmrcFile = resolve(workDir, "npmrc");
  writeFileSync(npmrcFile, `${npmrc.join("\n")}\n`);
  // The node stand-in's (and node image's) npm reads its global config from $PREFIX/etc/npmrc.
  mounts.push("-v", `${npmrcFile}:/usr/local/etc/npmrc:ro`);
  return mounts;
}

/**
 * RUN steps of a chroot build get 1024 open files by default (containers.conf has no default_ulimits here);
 * a cold `npm ci` of this repository's lockfile fails with EMFILE under that. Give them this process's limit.
 */
function openFilesLimit(): string[] {
  const line = readFileSync("/proc/self/limits", "utf8").match(/^Max open files\s+(\d+)\s+(\d+)/m);
  return line && Number(line[1]) > 1024 ? ["--ulimit", `nofile=${line[1]}:${line[2]}`] : [];
}

function npmModulesIn(dir: string): SbomPackage[] {
  const found: SbomPackage[] = [];
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith(".")) continue;
      const dirs = entry.startsWith("@")
        ? readdirSync(join(modules, entry)).map((e) => join(modules, entry, e))
        : [join(modules, entry)];
      for (const pkgDir of dirs) {
        try {
          const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
          if (pkg.name && pkg.version) found.push({ ecosystem: "npm", name: pkg.name, version: pkg.version });
        } catch {}
        visit(join(pkgDir, "node_modules"));
      }
    }
  };
  visit(dir);
  const unique = new Map(found.map((p) => [`${p.name}@${p.version}`, p]));
  return [...unique.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The npm modules esbuild puts into the agent bundle, from a metafile of the same bundle built here. */
function agentBundleModules(root: string): SbomPackage[] {
  const work = mkdtempSync(join(tmpdir(), "coditect-agent-meta-"));
  try {
    const meta = join(work, "meta.json");
    const built = spawnSync(
      join(root, "node_modules", ".bin", "esbuild"),
      [
        "images/agent/main.ts",
        "--bundle",
        "--platform=node",
        "--target=node24",
        "--format=esm",
        `--outfile=${join(work, "agent.mjs")}`,
        `--metafile=${meta}`,
        "--log-level=error",
      ],
      { cwd: root },
    );
    if (built.status !== 0) throw new Error(`agent bundle (for the SBOM) failed: ${built.stderr}`);
    const inputs = Object.keys(JSON.parse(readFileSync(meta, "utf8")).inputs);
    return bundledNpmPackages(inputs, (dir) => {
      try {
        return JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")).version;
      } catch {
        return undefined;
      }
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function imageSbomPackages(image: ProductImage, env: NodeJS.ProcessEnv, root: string): SbomPackage[] {
  const fromImage = withMountedImage(image.tag, env, (mounted) => {
    const status = join(mounted, "var", "lib", "dpkg", "status");
    const debs = existsSync(status) ? parseDpkgStatus(readFileSync(status, "utf8")) : [];
    const npm =
      image.npmModules.kind === "node-modules" ? npmModulesIn(join(mounted, image.npmModules.dir)) : [];
    return [...debs, ...npm];
  });
  return image.npmModules.kind === "agent-bundle" ? [...fromImage, ...agentBundleModules(root)] : fromImage;
}

export const STACK_REQUIRED =
  "the licensed images need --stack <name> (images/config/<name>.json: test for CI and local builds, prod for the release)";

/** The licensed images carry the session agent, built with a stack's license server and JWKS. */
export const bakesAgent = (image: ProductImage) => image.npmModules.kind === "agent-bundle";

/** Builds the named images (all when none is named) and returns what was built. */
export function buildImages(names: readonly string[], options: BuildOptions = {}): BuiltImage[] {
  const root = resolve(options.root ?? process.cwd());
  const outDir = resolve(root, options.outDir ?? DEFAULT_OUT_DIR);
  const workDir = resolve(root, ".tmp", "images-build");
  const clock = options.clock ?? Date.now;
  const images = selectImages(names);
  const stack = options.stack;
  if (images.some(bakesAgent)) {
    if (!stack) throw new Error(STACK_REQUIRED);
    // Fail before a ten-minute build, not in its last RUN step: prod.json has no keys until the key exists.
    try {
      checkAgentBuild(buildFromOptions({ stack }));
    } catch (error) {
      throw new Error(`--stack ${stack}: ${(error as Error).message}`);
    }
  }
  const env = podmanEnv(workDir);
  const mounts = npmBuildMounts(env, workDir);
  mkdirSync(outDir, { recursive: true });
  const baseOptions = {
    env,
    root,
    fresh: options.fresh,
    builtThisRun: new Set<string>(),
    verbose: options.verbose,
    log: options.log,
  };
  const standInTags = new Map<string, string>();
  const built: BuiltImage[] = [];
  for (const image of images) {
    const started = clock();
    for (const standIn of standInsFor([image]))
      if (!standInTags.has(standIn.name)) standInTags.set(standIn.name, ensureStandIn(standIn, baseOptions));
    const baseImages = Object.fromEntries(
      Object.entries(image.baseArgs).map(([arg, standIn]) => [arg, standInTags.get(standIn)!]),
    );
    options.log?.(`podman build ${image.dockerfile} → ${image.tag}`);
    podman(
      [
        "build",
        "--isolation",
        "chroot",
        // HEALTHCHECK exists only in the Docker image format (OCI's config has no field for it).
        "--format",
        "docker",
        "--network",
        "host",
        ...(options.fresh ? ["--no-cache"] : []),
        ...openFilesLimit(),
        ...mounts,
        ...Object.entries(baseImages).flatMap(([arg, tag]) => ["--build-arg", `${arg}=${tag}`]),
        ...(bakesAgent(image) ? ["--build-arg", `STACK=${stack}`] : []),
        "-f",
        resolve(root, image.dockerfile),
        "-t",
        image.tag,
        root,
      ],
      { env, verbose: options.verbose },
    );
    const inspection = inspectImage(image.tag, env);
    const sbomFile = join(outDir, `${image.name}.spdx.json`);
    const document = spdxDocument(
      { name: image.name, imageId: `sha256:${inspection.Id}`, baseImages },
      imageSbomPackages(image, env, root),
      new Date(),
    );
    writeFileSync(sbomFile, `${JSON.stringify(document, null, 2)}\n`);
    const record: BuiltImage = {
      name: image.name,
      tag: image.tag,
      imageId: `sha256:${inspection.Id}`,
      sizeBytes: inspection.Size,
      baseImages,
      ...(bakesAgent(image) ? { stack } : {}),
      sbom: sbomFile,
      seconds: (clock() - started) / 1000,
    };
    writeFileSync(join(outDir, `${image.name}.image.json`), `${JSON.stringify(record, null, 2)}\n`);
    built.push(record);
  }
  return built;
}

/** Every stand-in's production counterpart, for --help and the README. */
export const STAND_IN_SUMMARY = STAND_INS.map((s) => `${s.name} (for ${s.standsInFor})`).join("; ");
