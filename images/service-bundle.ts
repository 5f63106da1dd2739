/**
 * Builds billing or the operator the way their Dockerfiles do (C3): esbuild bundles the entry point into one
 * ESM file with dependencies left external (`node_modules` sits next to it in the image, /app). The
 * rehearsal runs this bundle with `node <bundle>` in WORKDIR /app, so what it proves is what the image runs.
 * service-bundle.test.ts checks that each Dockerfile's esbuild line and CMD agree with SERVICE_BUNDLES.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export type ServiceName = "billing" | "operator";

export interface ServiceBundle {
  /** Entry point, relative to the repository root. */
  entry: string;
  /** File name of the bundle in the image's WORKDIR (/app), also the Dockerfile's CMD argument. */
  imageFile: string;
  /** esbuild flags after the entry point, except --outfile (the Dockerfile's are exactly these). */
  flags: string[];
}

const COMMON_FLAGS = [
  "--bundle",
  "--platform=node",
  "--target=node24",
  "--format=esm",
  "--packages=external",
];

export const SERVICE_BUNDLES: Record<ServiceName, ServiceBundle> = {
  billing: { entry: "billing/server.ts", imageFile: "billing.mjs", flags: COMMON_FLAGS },
  operator: { entry: "operator/main.ts", imageFile: "operator.mjs", flags: COMMON_FLAGS },
};

/** Bundles `service` into `outFile` (absolute, or relative to the repository root); throws with esbuild's output. */
export function bundleService(service: ServiceName, outFile: string, root = process.cwd()): string {
  const spec = SERVICE_BUNDLES[service];
  if (!spec)
    throw new Error(`unknown service "${service}" (known: ${Object.keys(SERVICE_BUNDLES).join(", ")})`);
  const built = spawnSync(
    join(root, "node_modules", ".bin", "esbuild"),
    [spec.entry, ...spec.flags, `--outfile=${outFile}`, "--log-level=error"],
    { cwd: root },
  );
  if (built.status !== 0) {
    throw new Error(`${service} bundle failed: ${built.stderr?.toString() || String(built.error)}`);
  }
  return outFile;
}

export interface DockerfileBuild {
  entry: string;
  flags: string[];
  /** The --outfile's base name (dist/<name>). */
  outFile: string;
  /** The CMD's arguments (distroless/nodejs runs `node <args>`). */
  cmd: string[];
  workdir: string;
  /** ENV of the final stage (the image's environment). */
  env: Record<string, string>;
  /** COPY --from=<stage> lines of the final stage: build-stage path (relative to its WORKDIR) → image path. */
  copies: { from: string; to: string }[];
}

/** Reads the esbuild invocation, the final WORKDIR and the CMD from a Dockerfile's text. Pure. */
export function parseDockerfileBuild(text: string): DockerfileBuild {
  const joined = text.replace(/\\\n/g, " ");
  const esbuild = joined.match(/npx esbuild\s+(\S+)((?:\s+--\S+)+)/);
  if (!esbuild) throw new Error("no `npx esbuild <entry> --flags…` line found in the Dockerfile");
  const allFlags = esbuild[2]!.trim().split(/\s+/);
  const out = allFlags.find((f) => f.startsWith("--outfile="));
  if (!out) throw new Error("the Dockerfile's esbuild line has no --outfile");
  const cmdLine = [...joined.matchAll(/^CMD\s+(\[.*\])\s*$/gm)].at(-1);
  if (!cmdLine) throw new Error("no CMD [..] (exec form) found in the Dockerfile");
  const workdirs = [...joined.matchAll(/^WORKDIR\s+(\S+)/gm)];
  const finalStage = joined.slice(joined.lastIndexOf("\nFROM "));
  const env: Record<string, string> = {};
  for (const m of finalStage.matchAll(/^ENV\s+([A-Za-z_][A-Za-z0-9_]*)[= ](.*)$/gm))
    env[m[1]!] = m[2]!.trim().replace(/^"(.*)"$/, "$1");
  const buildDir = workdirs[0]?.[1] ?? "/";
  const copies = [...finalStage.matchAll(/^COPY\s+--from=\S+\s+(\S+)\s+(\S+)\s*$/gm)].map((m) => ({
    from: m[1]!.startsWith(`${buildDir}/`) ? m[1]!.slice(buildDir.length + 1) : m[1]!,
    to: m[2]!.startsWith("/") ? m[2]! : `${workdirs.at(-1)?.[1] ?? ""}/${m[2]!.replace(/^\.\//, "")}`,
  }));
  return {
    copies,
    entry: esbuild[1]!,
    flags: allFlags.filter((f) => f !== out),
    outFile: out.slice("--outfile=".length).split("/").at(-1)!,
    cmd: JSON.parse(cmdLine[1]!) as string[],
    workdir: workdirs.at(-1)?.[1] ?? "/",
    env,
  };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [service, out] = process.argv.slice(2);
  if (service !== "billing" && service !== "operator") {
    console.error("usage: tsx images/service-bundle.ts billing|operator <outfile>");
    process.exit(2);
  }
  console.log(
    `wrote ${bundleService(service, out ?? join(".tmp", "bundles", SERVICE_BUNDLES[service].imageFile))}`,
  );
}
