/**
 * podman without a Docker engine, root or cgroups (../shared/env-notes.md): every call gets a
 * containers.conf this module writes (CONTAINERS_CONF; /etc is left alone) with cgroups disabled, the
 * cgroupfs manager and no default ulimits, which `podman build --isolation chroot` needs here. Image
 * storage is podman's default (root: /var/lib/containers/storage), so layers cache between runs.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const CONTAINERS_CONF_TEXT = `# Written by images/build/podman.ts: podman build without cgroups (no systemd, hybrid cgroups here).
[containers]
default_ulimits = []
cgroups = "disabled"

[engine]
cgroup_manager = "cgroupfs"
`;

/** Writes the containers.conf under `workDir` and returns the environment for podman calls. */
export function podmanEnv(workDir = join(".tmp", "images-build")): NodeJS.ProcessEnv {
  mkdirSync(workDir, { recursive: true });
  const conf = resolve(workDir, "containers.conf");
  writeFileSync(conf, CONTAINERS_CONF_TEXT);
  return { ...process.env, CONTAINERS_CONF: conf };
}

/** Why podman cannot build here, or undefined when it can (root, and the tools on PATH). */
export function missingBuildTools(): string | undefined {
  const missing = ["podman", "mmdebstrap"].filter(
    (tool) => spawnSync(tool, ["--version"], { stdio: "ignore" }).status !== 0,
  );
  if (missing.length > 0)
    return `${missing.join(" and ")} not found: install the Debian packages (apt-get install podman buildah mmdebstrap uidmap), as .ci/run does`;
  if (process.getuid?.() !== 0)
    return "building and testing the images needs root (mmdebstrap, chroot builds, chroot runs)";
  return undefined;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** Show the tool's output (the CLI) instead of keeping it for the error message (tests, benchmark). */
  verbose?: boolean;
  input?: Buffer | string;
}

/** Runs `command args` and returns its stdout; throws with the command and the end of its output. */
export function run(command: string, args: readonly string[], options: RunOptions): string {
  const result = spawnSync(command, args, {
    env: options.env,
    input: options.input,
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", options.verbose ? "inherit" : "pipe"],
    maxBuffer: 256 * 1024 * 1024,
  });
  const stdout = result.stdout?.toString() ?? "";
  if (options.verbose && stdout && command !== "podman") process.stdout.write(stdout);
  if (result.status !== 0) {
    const output = `${stdout}\n${result.stderr?.toString() ?? ""}`.trim().split("\n").slice(-30).join("\n");
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${result.status ?? result.signal}): ${result.error?.message ?? ""}\n${output}`,
    );
  }
  return stdout;
}

export function podman(args: readonly string[], options: RunOptions): string {
  return run("podman", args, options);
}

export function imageExists(ref: string, env: NodeJS.ProcessEnv): boolean {
  return spawnSync("podman", ["image", "exists", ref], { env, stdio: "ignore" }).status === 0;
}

/** The parts of `podman image inspect` the build, the SBOM and the tests use. */
export interface ImageInspection {
  Id: string;
  Size: number;
  Config: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
  };
  /** Docker image format only (OCI has no HEALTHCHECK); durations in nanoseconds. */
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; Retries?: number };
}

export function inspectImage(ref: string, env: NodeJS.ProcessEnv): ImageInspection {
  const [inspection] = JSON.parse(podman(["image", "inspect", ref], { env })) as ImageInspection[];
  if (!inspection) throw new Error(`podman image inspect ${ref}: no such image`);
  return inspection;
}

/**
 * Mounts the image's filesystem read-only (no container) and passes its path to `use`; unmounts after.
 * Reading files this way costs nothing, unlike exporting the whole filesystem.
 */
export function withMountedImage<T>(ref: string, env: NodeJS.ProcessEnv, use: (root: string) => T): T {
  const root = podman(["image", "mount", ref], { env }).trim();
  try {
    return use(root);
  } finally {
    podman(["image", "unmount", ref], { env });
  }
}

/** Writes the image's filesystem into `dir` (`podman export` of a created, never started, container). */
export function exportImage(ref: string, dir: string, env: NodeJS.ProcessEnv): void {
  mkdirSync(dir, { recursive: true });
  const id = podman(["create", ref], { env }).trim();
  try {
    const exported = spawnSync("sh", ["-c", 'podman export "$1" | tar -C "$2" -x', "sh", id, dir], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    if (exported.status !== 0)
      throw new Error(`exporting ${ref} into ${dir} failed: ${exported.stderr.toString().trim()}`);
  } finally {
    podman(["rm", id], { env });
  }
}
