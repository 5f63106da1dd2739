/**
 * Runs an exported image's entrypoint the way a container runtime would start it, without one (podman run
 * does not work here, ../shared/env-notes.md): in new PID and mount namespaces, chrooted into the image's
 * filesystem, with the image's environment, so the entrypoint's final `exec` makes the agent PID 1.
 * Needs root. Test infrastructure for images.test.ts and the benchmark.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { ImageInspection } from "./podman.js";

export interface ChrootRun {
  child: ChildProcess;
  /** Resolves with the namespace's exit code (its PID 1's) once it ends. */
  exited: Promise<number>;
  stderr: () => string;
  /** The host PID of the namespace's PID 1 (unshare's forked child). */
  pid1: () => number | undefined;
}

/** Environment of the container: the image's ENV (PATH included), then `env` over it. */
export function containerEnv(image: ImageInspection, env: Record<string, string>): Record<string, string> {
  const fromImage = Object.fromEntries(
    (image.Config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  return { ...fromImage, ...env };
}

/** chroot's --userspec for the image's USER (numeric uid[:gid] only), or none for root. */
export function userspec(user: string | undefined): string[] {
  if (!user || /^(0|root)(:(0|root))?$/.test(user)) return [];
  if (!/^\d+(:\d+)?$/.test(user)) throw new Error(`image USER "${user}" is not numeric uid[:gid]`);
  return [`--userspec=${user.includes(":") ? user : `${user}:${user}`}`];
}

/**
 * Starts `argv` (the image's ENTRYPOINT followed by the command) chrooted in `rootfs` as the image's USER.
 * unshare mounts a fresh /proc for the new PID namespace; the chroot inherits it.
 */
export function runInChroot(
  rootfs: string,
  argv: readonly string[],
  env: Record<string, string>,
  user?: string,
): ChrootRun {
  let stderr = "";
  const child = spawn(
    "unshare",
    [
      "--fork",
      "--pid",
      "--mount",
      `--mount-proc=${rootfs}/proc`,
      "chroot",
      ...userspec(user),
      rootfs,
      ...argv,
    ],
    { env, stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : -1))),
  );
  const pid1 = () => {
    if (child.pid === undefined) return undefined;
    try {
      const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8").trim();
      return children ? Number(children.split(/\s+/)[0]) : undefined;
    } catch {
      return undefined;
    }
  };
  return { child, exited, stderr: () => stderr, pid1 };
}
