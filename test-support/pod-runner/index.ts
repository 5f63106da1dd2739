/**
 * Test infrastructure: runs one process the way a Kubernetes container would start it — its command with
 * exactly the given environment, in its working directory, as its user, with every volume at its mount path —
 * without a container runtime. Each process gets its own private mount namespace (`unshare --mount`, needs
 * root), so paths like /app, /etc/coditect/secrets or /var/run/secrets/kubernetes.io/serviceaccount are the
 * real ones inside it and invisible outside. The host keeps only the empty directories created as mount
 * points. No network or PID isolation: the process listens on the host's loopback (see docs/rehearsal.md).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type PodMount =
  /** An emptyDir: a fresh tmpfs, writable by everyone (sticky, like /tmp). */
  | { kind: "tmpfs"; path: string; sizeLimit?: string }
  /** A volume whose files are given (ConfigMap, CSI secrets, projected token): read-only unless said otherwise. */
  | { kind: "files"; path: string; files: Record<string, string>; readOnly?: boolean }
  /** A host directory bound at `path`. */
  | { kind: "bind"; path: string; source: string; readOnly?: boolean };

export interface PodProcess {
  /** For logs and errors, e.g. "billing". */
  name: string;
  /** argv; argv[0] is an absolute path (nothing is looked up on PATH). */
  argv: string[];
  workingDir: string;
  /** The complete environment of the process: nothing is inherited. */
  env: Record<string, string>;
  mounts: PodMount[];
  /** runAsUser / runAsGroup; absent: stays root. */
  user?: { uid: number; gid: number };
  /** securityContext.readOnlyRootFilesystem: the root mount is read-only inside (volumes keep their mode). */
  readOnlyRootFilesystem?: boolean;
}

export interface PodExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningPod {
  readonly name: string;
  readonly pid: number;
  /** stdout and stderr so far, interleaved. */
  logs(): string;
  /** Resolves when the process (its namespace's init, i.e. `unshare`) exits. */
  readonly exited: Promise<PodExit>;
  /** null while running. */
  exitStatus(): PodExit | null;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; removes the staging directory. */
  stop(graceMs?: number): Promise<PodExit>;
}

/** Host directory for staged volume files (removed on stop; the base stays, empty). */
export const STAGING_BASE = "/var/lib/pod-runner";

const SIZE_RE = /^(\d+)(Ki|Mi|Gi)?$/;

/** Kubernetes quantity (64Mi) → tmpfs size option (64m). */
export function tmpfsSize(quantity: string | undefined): string {
  if (!quantity) return "64m";
  const m = quantity.match(SIZE_RE);
  if (!m) throw new Error(`unsupported emptyDir sizeLimit "${quantity}" (use a number with Ki, Mi or Gi)`);
  return `${m[1]}${{ Ki: "k", Mi: "m", Gi: "g" }[m[2] as "Ki" | "Mi" | "Gi"] ?? ""}`;
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * The shell script run inside the new mount namespace: mount points (parents first), then exec the process
 * as its user with exactly `env`. Pure; `staged[i]` is the host directory holding mount i's files, and bind
 * sources are held under `stagingRoot` (which no pod mount may cover).
 */
export function namespaceScript(
  pod: PodProcess,
  staged: (string | undefined)[],
  stagingRoot: string,
): string {
  const lines = ["set -eu", "mount --make-rprivate /"];
  // Bind sources first, into the staging tree: a later mount (an emptyDir on /tmp) may hide their host path.
  pod.mounts.forEach((m, i) => {
    if (m.kind !== "bind") return;
    const held = `${stagingRoot}/bind-${i}`;
    lines.push(`mkdir -p ${quote(held)}`, `mount --bind ${quote(m.source)} ${quote(held)}`);
    staged[i] = held;
  });
  const order = pod.mounts.map((m, i) => ({ m, i })).sort((a, b) => a.m.path.length - b.m.path.length);
  for (const { m, i } of order) {
    if (!m.path.startsWith("/")) throw new Error(`${pod.name}: mount path "${m.path}" is not absolute`);
    const p = quote(m.path);
    if (m.kind === "bind") {
      lines.push(`mkdir -p ${p}`, `mount --bind ${quote(staged[i]!)} ${p}`);
    } else if (m.kind === "tmpfs") {
      lines.push(`mkdir -p ${p}`, `mount -t tmpfs -o size=${tmpfsSize(m.sizeLimit)},mode=1777 tmpfs ${p}`);
    } else {
      lines.push(`mkdir -p ${p}`, `mount --bind ${quote(staged[i]!)} ${p}`);
    }
  }
  // Read-only last, children first: a read-only parent must not stop a child's mount point being created.
  for (const { m } of [...order].reverse()) {
    const readOnly = m.kind === "files" ? m.readOnly !== false : m.kind === "bind" && m.readOnly === true;
    if (readOnly) lines.push(`mount -o remount,bind,ro ${quote(m.path)}`);
  }
  if (pod.readOnlyRootFilesystem) lines.push("mount -o remount,bind,ro /");
  lines.push(`cd ${quote(pod.workingDir)}`);
  const user = pod.user ? `setpriv --reuid=${pod.user.uid} --regid=${pod.user.gid} --clear-groups -- ` : "";
  // "$@" is `env -i K=V … argv`, passed as arguments so no value is ever parsed by the shell.
  lines.push(`exec ${user}"$@"`);
  return lines.join("\n");
}

function stageFiles(root: string, pod: PodProcess): (string | undefined)[] {
  return pod.mounts.map((m, i) => {
    if (m.kind !== "files") return undefined;
    const dir = join(root, `volume-${i}`);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    for (const [file, content] of Object.entries(m.files)) {
      if (file.includes("/") || file === "." || file === "..") {
        throw new Error(`${pod.name}: file name "${file}" in volume at ${m.path} must be a plain name`);
      }
      // World-readable like kubelet's default volume mode (0644); the directory is bound read-only.
      writeFileSync(join(dir, file), content, { mode: 0o644 });
    }
    return dir;
  });
}

export async function startPod(pod: PodProcess): Promise<RunningPod> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `pod-runner needs root (unshare --mount and bind mounts); running as uid ${process.getuid?.()}`,
    );
  }
  if (!pod.argv[0]?.startsWith("/"))
    throw new Error(`${pod.name}: argv[0] must be an absolute path, got "${pod.argv[0]}"`);
  for (const m of pod.mounts) {
    if (m.kind === "bind" && !statSync(m.source, { throwIfNoEntry: false })?.isDirectory()) {
      throw new Error(`${pod.name}: bind source "${m.source}" for ${m.path} is not a directory`);
    }
  }
  // Not under /tmp: pods mount emptyDirs there, which would hide the staged files.
  mkdirSync(STAGING_BASE, { recursive: true, mode: 0o755 });
  const staging = mkdtempSync(join(STAGING_BASE, `${pod.name}-`));
  chmodSync(staging, 0o755);
  for (const m of pod.mounts) {
    if (`${staging}/`.startsWith(`${m.path.replace(/\/$/, "")}/`)) {
      throw new Error(
        `${pod.name}: mount at ${m.path} would hide the pod runner's staging directory ${staging}`,
      );
    }
  }
  const script = namespaceScript(pod, stageFiles(staging, pod), staging);
  const envArgs = Object.entries(pod.env).map(([k, v]) => `${k}=${v}`);
  const child: ChildProcess = spawn(
    "unshare",
    [
      "--mount",
      "--propagation",
      "private",
      "--fork",
      "--kill-child",
      "--",
      "/bin/sh",
      "-c",
      script,
      "sh",
      "/usr/bin/env",
      "-i",
      ...envArgs,
      ...pod.argv,
    ],
    { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } },
  );
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    // Keep memory bounded for long runs: the tail is what explains a failure.
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout!.on("data", append);
  child.stderr!.on("data", append);
  let status: PodExit | null = null;
  const exited = new Promise<PodExit>((resolve) => {
    child.once("exit", (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
    child.once("error", (err) => {
      output += `\n[pod-runner] cannot start unshare: ${err.message}\n`;
      status = { code: 127, signal: null };
      resolve(status);
    });
  });
  const cleanup = () => rmSync(staging, { recursive: true, force: true });
  void exited.then(cleanup);
  const pid = child.pid ?? -1;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    name: pod.name,
    pid,
    logs: () => output,
    exited,
    exitStatus: () => status,
    async stop(graceMs = 5000) {
      if (status) return status;
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      // Anything the process left behind in its group (it should be none).
      signalGroup("SIGKILL");
      cleanup();
      return result;
    },
  };
}
