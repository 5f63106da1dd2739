/**
 * Builds the session agent into one self-contained ESM file, the form the images ship:
 *
 *   npm run sessions:agent-bundle -- --out <file> --license-server <https-url> --jwks <jwks.json>
 *   npm run sessions:agent-bundle -- --out <file> --stack prod          (images/config/prod.json)
 *   npm run sessions:agent-bundle -- --out <file> --development [--license-server <url>] [--jwks <file>]
 *
 * A production bundle has the license server and the offline-token public keys baked in (esbuild `define`,
 * build-info.ts, ADR 0155): no variable can change them. The end-to-end tests run development bundles of
 * this same code (bundleAgent with no build), so what they prove is what a container runs.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCommandLine } from "../../lib/cli.js";
import { AGENT_BUILD_DEFINE, type AgentBuild, checkAgentBuild } from "./build-info.js";

export const DEFAULT_AGENT_BUNDLE = join(".tmp", "agent", "coditect-agent.mjs");

/** Where the per-stack production build inputs live: images/config/<stack>.json {licenseServer, jwks}. */
export const stackBuildFile = (stack: string) => join("images", "config", `${stack}.json`);

/**
 * Bundles images/agent/main.ts into `outfile` (relative to the repository root) with `build` baked in;
 * throws with esbuild's output, or with what is wrong with the build (http, a private key in the JWKS…).
 */
export function bundleAgent(
  outfile: string = DEFAULT_AGENT_BUNDLE,
  build: AgentBuild = { mode: "development" },
): string {
  const checked = checkAgentBuild(build);
  const built = spawnSync(join("node_modules", ".bin", "esbuild"), [
    "images/agent/main.ts",
    "--bundle",
    "--platform=node",
    "--target=node24",
    "--format=esm",
    `--outfile=${outfile}`,
    `--define:${AGENT_BUILD_DEFINE}=${JSON.stringify(checked)}`,
    // Bundled CommonJS dependencies call require(); ESM output has none unless it is created.
    "--banner:js=import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
    "--log-level=error",
  ]);
  if (built.status !== 0) throw new Error(`agent bundle failed: ${built.stderr?.toString() ?? built.error}`);
  return outfile;
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${what} ${path} cannot be read as JSON: ${(error as Error).message}`);
  }
}

/** The build the command line asks for (pure apart from reading the named files). */
export function buildFromOptions(options: {
  "license-server"?: string | undefined;
  jwks?: string | undefined;
  stack?: string | undefined;
  development?: boolean | undefined;
}): AgentBuild {
  const mode = options.development ? "development" : "production";
  if (options.stack !== undefined) {
    if (options["license-server"] !== undefined || options.jwks !== undefined) {
      throw new Error(
        "--stack reads the license server and the JWKS from its file: give neither flag with it",
      );
    }
    if (!/^[a-z0-9-]{1,40}$/.test(options.stack))
      throw new Error(`--stack "${options.stack}" is not a stack name`);
    const file = readJson(stackBuildFile(options.stack), "stack build file") as Partial<AgentBuild>;
    return { mode, licenseServer: file.licenseServer ?? "", ...(file.jwks ? { jwks: file.jwks } : {}) };
  }
  if (mode === "production" && (options["license-server"] === undefined || options.jwks === undefined)) {
    throw new Error(
      "a production bundle needs --license-server <https-url> and --jwks <file> (or --stack <name>); --development builds one that reads CODITECT_LICENSE_SERVER",
    );
  }
  return {
    mode,
    ...(options["license-server"] !== undefined ? { licenseServer: options["license-server"] } : {}),
    ...(options.jwks !== undefined ? { jwks: readJson(options.jwks, "--jwks") as AgentBuild["jwks"] } : {}),
  };
}

const USAGE = `usage: npm run sessions:agent-bundle -- [--out <file>] (--license-server <https-url> --jwks <jwks.json> | --stack <name>) [--development]
  Production (default): the license server (https only) and the offline-token public keys are fixed in the
  bundle; CODITECT_LICENSE_SERVER cannot change them and the JWKS is never fetched.
  --stack <name>      read both from images/config/<name>.json
  --development       the server comes from CODITECT_LICENSE_SERVER (https, or http to loopback); the
                      JWKS is fetched from it unless --jwks is given
  --out <file>        default ${DEFAULT_AGENT_BUNDLE}`;

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { values } = parseCommandLine({
    name: "sessions:agent-bundle",
    usage: USAGE,
    options: {
      out: { type: "string" },
      "license-server": { type: "string" },
      jwks: { type: "string" },
      stack: { type: "string" },
      development: { type: "boolean" },
    },
  });
  try {
    const build = buildFromOptions(values);
    const out = bundleAgent(values.out ?? DEFAULT_AGENT_BUNDLE, build);
    console.log(
      `wrote ${out} (${build.mode}${build.licenseServer ? `, license server ${checkAgentBuild(build).licenseServer}` : ""})`,
    );
  } catch (error) {
    console.error(`sessions:agent-bundle: ${(error as Error).message}`);
    process.exit(2);
  }
}
