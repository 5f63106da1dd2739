/**
 * The base images, built here from Debian packages because no registry can be reached (ADR 0180): a
 * Debian root filesystem from mmdebstrap, imported with `podman import`, then the stand-ins of the
 * upstream bases built on it. Both are cached in podman's storage under a tag that is a hash of what went
 * in (package list, stand-in Dockerfile, Node and npm versions), so a warm run builds none of them.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { DEBIAN_BASES, type DebianBase, debianBaseTag, type StandIn, standInTag } from "./plan.js";
import { imageExists, podman, run } from "./podman.js";

export interface BaseBuildOptions {
  env: NodeJS.ProcessEnv;
  root: string;
  /** Rebuild even when a cached image exists (the cold-build benchmark)… */
  fresh?: boolean;
  /** …but only once per run: the tags already (re)built in this run. */
  builtThisRun?: Set<string>;
  verbose?: boolean;
  log?: (line: string) => void;
}

/** The Node 24 binary of the repository's `node` npm package (the runtime the images ship). */
export function hostNodeBinary(root: string): string {
  for (const candidate of [join(root, "node_modules", "node", "bin", "node"), process.execPath]) {
    try {
      return realpathSync(candidate);
    } catch {}
  }
  throw new Error("no Node binary found (node_modules/node/bin/node): run npm ci first");
}

/** The host's npm package directory (copied into the node stand-in, as the official image ships npm). */
export function hostNpmDirectory(): string {
  const which = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
  if (!which) throw new Error("npm not found on PATH: the node stand-in copies the host's npm");
  // …/lib/node_modules/npm/bin/npm-cli.js → …/lib/node_modules/npm
  return dirname(dirname(realpathSync(which)));
}

function versionOf(binary: string, args: string[]): string {
  return spawnSync(binary, args, { encoding: "utf8" }).stdout.trim();
}

/** Builds (or finds cached) the Debian base image and returns its tag. */
export function ensureDebianBase(base: DebianBase, options: BaseBuildOptions): string {
  const tag = debianBaseTag(base);
  if (options.builtThisRun?.has(tag) || (!options.fresh && imageExists(tag, options.env))) return tag;
  options.log?.(`mmdebstrap ${base.suite} (${base.packages.join(", ")}) → ${tag}`);
  const work = mkdtempSync(join(tmpdir(), "coditect-rootfs-"));
  try {
    const tarball = join(work, "rootfs.tar");
    run(
      "mmdebstrap",
      ["--variant=minbase", `--include=${base.packages.join(",")}`, "--quiet", base.suite, tarball],
      { env: options.env, verbose: options.verbose },
    );
    podman(["import", "--quiet", tarball, tag], { env: options.env });
    options.builtThisRun?.add(tag);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return tag;
}

/** Text that changes when anything copied into the stand-in's context changes. */
function contextInputs(standIn: StandIn, root: string): string {
  const inputs: string[] = [];
  if (standIn.context.includes("node")) inputs.push(`node ${versionOf(hostNodeBinary(root), ["--version"])}`);
  if (standIn.context.includes("npm"))
    inputs.push(`npm ${versionOf(process.execPath, [join(hostNpmDirectory(), "bin", "npm-cli.js"), "-v"])}`);
  if (standIn.context.includes("files")) {
    const dir = join(root, "images", "build", "stand-ins", standIn.name);
    for (const f of readdirSync(dir).sort()) inputs.push(`${f}\n${readFileSync(join(dir, f), "utf8")}`);
  }
  return inputs.join("\n");
}

/** Builds (or finds cached) a stand-in base image and returns its tag. */
export function ensureStandIn(standIn: StandIn, options: BaseBuildOptions): string {
  const debian = DEBIAN_BASES.find((b) => b.name === standIn.debianBase);
  if (!debian) throw new Error(`stand-in ${standIn.name}: no Debian base named ${standIn.debianBase}`);
  const baseTag = ensureDebianBase(debian, options);
  const dockerfile = resolve(options.root, standIn.dockerfile);
  const tag = standInTag(
    standIn,
    baseTag,
    readFileSync(dockerfile, "utf8"),
    contextInputs(standIn, options.root),
  );
  if (!options.fresh && imageExists(tag, options.env)) return tag;
  options.log?.(`stand-in for ${standIn.standsInFor} → ${tag}`);
  const context = mkdtempSync(join(tmpdir(), `coditect-${standIn.name}-`));
  try {
    if (standIn.context.includes("node")) cpSync(hostNodeBinary(options.root), join(context, "node"));
    if (standIn.context.includes("npm"))
      cpSync(hostNpmDirectory(), join(context, "npm"), { recursive: true, dereference: true });
    if (standIn.context.includes("files"))
      cpSync(join(options.root, "images", "build", "stand-ins", standIn.name), join(context, standIn.name), {
        recursive: true,
      });
    podman(
      [
        "build",
        "--isolation",
        "chroot",
        "--format",
        "docker",
        ...(options.fresh ? ["--no-cache"] : []),
        "--build-arg",
        `DEBIAN_BASE=${baseTag}`,
        "-f",
        dockerfile,
        "-t",
        tag,
        context,
      ],
      { env: options.env, verbose: options.verbose },
    );
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return tag;
}
