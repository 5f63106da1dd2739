/**
 * Builds the session agent into one self-contained ESM file, the form the images ship
 * (`npm run sessions:agent-bundle [-- <outfile>]`, default .tmp/agent/coditect-agent.mjs). The end-to-end
 * tests run this same bundle, so what they prove is what a container runs. The Dockerfiles repeat the
 * esbuild flags because their build stage has no tsx.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseCommandLine } from "../../lib/cli.js";

export const DEFAULT_AGENT_BUNDLE = join(".tmp", "agent", "coditect-agent.mjs");

/** Bundles images/agent/main.ts into `outfile` (relative to the repository root); throws with esbuild's output. */
export function bundleAgent(outfile: string = DEFAULT_AGENT_BUNDLE): string {
  const built = spawnSync(join("node_modules", ".bin", "esbuild"), [
    "images/agent/main.ts",
    "--bundle",
    "--platform=node",
    "--target=node24",
    "--format=esm",
    `--outfile=${outfile}`,
    // Bundled CommonJS dependencies call require(); ESM output has none unless it is created.
    "--banner:js=import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
    "--log-level=error",
  ]);
  if (built.status !== 0) throw new Error(`agent bundle failed: ${built.stderr?.toString() ?? built.error}`);
  return outfile;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { positionals } = parseCommandLine({
    name: "sessions:agent-bundle",
    usage: `usage: npm run sessions:agent-bundle [-- <outfile, default ${DEFAULT_AGENT_BUNDLE}>]`,
    maxPositionals: 1,
  });
  console.log(`wrote ${bundleAgent(positionals[0])}`);
}
