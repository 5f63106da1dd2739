/**
 * Starting billing and the operator as their Deployments describe them (I/O shell around pod-spec.ts):
 * builds each image's bundle, stages /app, starts the pod, and reads back what the env probe recorded.
 */
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleService, parseDockerfileBuild, SERVICE_BUNDLES } from "../images/service-bundle.js";
import { type RunningPod, startPod } from "../test-support/pod-runner/index.js";
import { type EnvRead, parseEnvReads } from "./env-check.js";
import type { ServiceName } from "./overrides.js";
import { type PodContext, type PodPlan, planPod } from "./pod-spec.js";

export interface ServiceImage {
  service: ServiceName;
  dir: string;
  bundleFile: string;
  bundleText: string;
  imageEnv: Record<string, string>;
  /** Why the image's env could not be read from a Dockerfile (then it is assumed). */
  note?: string;
}

/** Files 0644, directories 0755, as an image layer has them (the pod runs as a non-root user). */
function chmodRecursive(path: string): void {
  if (statSync(path).isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) chmodRecursive(join(path, entry));
  } else chmodSync(path, 0o644);
}

export function buildImage(service: ServiceName, root: string): ServiceImage {
  const dir = mkdtempSync(join(tmpdir(), `rehearsal-image-${service}-`));
  chmodSync(dir, 0o755);
  const spec = SERVICE_BUNDLES[service];
  const out = bundleService(service, join(dir, spec.imageFile), root);
  chmodSync(out, 0o644);
  // The Dockerfiles copy package.json next to the bundle.
  copyFileSync(join(root, "package.json"), join(dir, "package.json"));
  chmodSync(join(dir, "package.json"), 0o644);
  const dockerfile = join(root, service, "Dockerfile");
  let imageEnv: Record<string, string> = { NODE_ENV: "production" };
  let note: string | undefined;
  if (existsSync(dockerfile)) {
    const build = parseDockerfileBuild(readFileSync(dockerfile, "utf8"));
    imageEnv = build.env;
    // Everything else the image copies into /app from the source tree (e.g. billing's SQL migrations);
    // node_modules is bind-mounted and the bundle was just built.
    for (const copy of build.copies) {
      if (!copy.to.startsWith("/app/") || copy.from === "node_modules" || copy.from.startsWith("dist/"))
        continue;
      if (copy.from === "package.json") continue;
      const target = join(dir, copy.to.slice("/app/".length));
      cpSync(join(root, copy.from), target, { recursive: true });
      chmodRecursive(target);
    }
  } else note = `${service}/Dockerfile does not exist: image env assumed NODE_ENV=production`;
  return {
    service,
    dir,
    bundleFile: spec.imageFile,
    bundleText: readFileSync(out, "utf8"),
    imageEnv,
    ...(note ? { note } : {}),
  };
}

export interface StartedService {
  service: ServiceName;
  plan: PodPlan;
  pod: RunningPod;
  probeDir: string;
  envReads(): EnvRead[];
  cleanup(): void;
}

export async function startService(
  image: ServiceImage,
  ctx: Omit<PodContext, "image" | "probeDir" | "service">,
  root: string,
): Promise<StartedService> {
  const probeDir = mkdtempSync(join(tmpdir(), `rehearsal-probe-${image.service}-`));
  chmodSync(probeDir, 0o777);
  copyFileSync(join(root, "rehearsal", "env-probe.mjs"), join(probeDir, "env-probe.mjs"));
  chmodSync(join(probeDir, "env-probe.mjs"), 0o644);
  const plan = planPod({
    ...ctx,
    service: image.service,
    image: {
      nodeBinary: process.execPath,
      bundleDir: image.dir,
      bundleFile: image.bundleFile,
      nodeModules: realpathSync(join(root, "node_modules")),
    },
    probeDir,
    imageEnv: image.imageEnv,
  });
  const pod = await startPod(plan.pod);
  return {
    service: image.service,
    plan,
    pod,
    probeDir,
    envReads: () => {
      const file = join(probeDir, "env-reads.jsonl");
      return existsSync(file) ? parseEnvReads(readFileSync(file, "utf8")) : [];
    },
    cleanup: () => rmSync(probeDir, { recursive: true, force: true }),
  };
}

/**
 * Runs the Deployment's init containers in order, each to completion, as the kubelet does before the main
 * container starts (billing's migration step, ADR 0166). Throws naming the one that failed, with its log.
 */
export async function runInitContainers(
  image: ServiceImage,
  ctx: Omit<PodContext, "image" | "probeDir" | "service">,
  root: string,
  timeoutMs = 60_000,
): Promise<string[]> {
  const ran: string[] = [];
  for (const init of ctx.deployment.spec.template.spec.initContainers ?? []) {
    const plan = planPod(
      {
        ...ctx,
        service: image.service,
        image: {
          nodeBinary: process.execPath,
          bundleDir: image.dir,
          bundleFile: image.bundleFile,
          nodeModules: realpathSync(join(root, "node_modules")),
        },
        imageEnv: image.imageEnv,
      },
      init.name,
    );
    const pod = await startPod(plan.pod);
    const timer = setTimeout(() => void pod.stop(), timeoutMs);
    const exit = await pod.exited;
    clearTimeout(timer);
    const logs = pod.logs();
    await pod.stop();
    if (exit.code !== 0) {
      throw new Error(
        `${image.service} init container ${init.name} failed (code ${exit.code}, signal ${exit.signal}): ${firstError(logs)}\n${logTail(logs)}`,
      );
    }
    ran.push(`${init.name}: ${logs.trim().split("\n").at(-1) ?? ""}`);
  }
  return ran;
}

/** Paths a process failed to open (ENOENT) according to its log. Pure. */
export function missingFiles(logs: string): string[] {
  const found = new Set<string>();
  if (!logs.includes("ENOENT")) return [];
  const patterns = [
    /ENOENT[^\n]*?'(\/[^']+)'/g, // "ENOENT: no such file or directory, open '/x'"
    /path: '(\/[^']+)'/g, // the error object's path, printed on an uncaught error
    /=(\/[\w./-]+) cannot be read \(ENOENT\)/g, // billing's config error for <VAR>_FILE
  ];
  for (const re of patterns) for (const m of logs.matchAll(re)) found.add(m[1]!);
  return [...found];
}

/** Why a missing path is missing: inside a rendered volume, or not in the image at all. Pure. */
export function explainMissing(service: string, path: string, mountPaths: string[]): string {
  const mount = mountPaths.find((m) => path === m || path.startsWith(`${m.replace(/\/$/, "")}/`));
  return mount
    ? `${service}: ${path} is missing (ENOENT): the volume mounted at ${mount} has no such file in the rendered manifests`
    : `${service}: ${path} is missing (ENOENT): no rendered volume mounts it and the image does not contain it`;
}

/** The first line that looks like the error a process died of (uncaught errors print it first). Pure. */
export function firstError(logs: string): string {
  const lines = logs.split("\n");
  const line =
    lines.find((l) => /^\s*(\w*Error|Error)(\s\[\w+\])?: /.test(l)) ??
    lines.find((l) => /"level":(50|60)/.test(l)) ??
    lines.find((l) => /error|invalid/i.test(l));
  return (line ?? "(no error line in its output)").trim().slice(0, 600);
}

/** Log lines that explain a stalled journey: warnings, errors, disabled features. Pure. */
export function notableLines(logs: string, max = 5): string[] {
  return logs
    .split("\n")
    .filter((l) => /"level":(40|50|60)|disabled|unset|forbidden|denied/i.test(l))
    .slice(0, max)
    .map((l) => l.trim().slice(0, 400));
}

export function logTail(logs: string, lines = 15): string {
  return logs
    .trimEnd()
    .split("\n")
    .slice(-lines)
    .map((l) => `    | ${l}`)
    .join("\n");
}
