/**
 * Test infrastructure: billing's real entry point (billing/server.ts) as a child process, its output kept,
 * and the port it logged. `inPodWith`: a directory to show at /var/run/secrets/kubernetes.io/serviceaccount,
 * as the kubelet mounts it; the process then runs in a private mount namespace (root + unshare, as the
 * rehearsal's pods do).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "../../test-support/wait.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface BillingProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function runBilling(env: Record<string, string>, inPodWith?: string): BillingProcess {
  const node = [process.execPath, "--import", "tsx", "billing/server.ts"];
  const inPod = [
    "unshare",
    "--mount",
    "--fork",
    "--kill-child",
    "sh",
    "-c",
    'mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && mount --bind "$0" /run/secrets/kubernetes.io/serviceaccount && exec "$@"',
    inPodWith ?? "",
    ...node,
  ];
  const [command, ...args] = inPodWith ? inPod : node;
  const child = spawn(command!, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** The port from the "billing listening" log line (PORT=0 picks a free one). */
export function listeningPort(p: BillingProcess): Promise<number> {
  return waitFor("the listening log line", () => {
    if (p.child.exitCode !== null) throw new Error(`billing exited ${p.child.exitCode}:\n${p.output()}`);
    const line = p
      .output()
      .split("\n")
      .find((l) => l.includes('"billing listening"'));
    return line ? (JSON.parse(line) as { port: number }).port : undefined;
  });
}
