/**
 * The sandbox's registry child: runs Debian's `docker-registry serve <config>` (the CNCF distribution
 * server) and ties it to this Node process, which the sandbox supervises like its other children: a
 * SIGTERM (the sandbox stopping, or exit-with-parent when the sandbox died) stops the registry, and the
 * registry exiting ends this process with its status. The config is written by sandbox/main.ts from
 * test-support/registry/config.ts. Sandbox only.
 */
import { spawn } from "node:child_process";
import { parseCommandLine } from "../lib/cli.js";
import { REGISTRY_BINARY } from "../test-support/registry/index.js";

const { values } = parseCommandLine({
  name: "sandbox registry",
  usage: "usage: tsx sandbox/registry-child.ts --config <config.yml>",
  options: { config: { type: "string" } },
});
if (!values.config) {
  process.stderr.write("sandbox registry: --config is required\n");
  process.exit(2);
}

// stdout/stderr go straight to the sandbox's log file for this child (<data>/logs/registry.log).
const registry = spawn(REGISTRY_BINARY, ["serve", values.config], {
  stdio: ["ignore", "inherit", "inherit"],
});
registry.once("error", (error) => {
  process.stderr.write(`sandbox registry: cannot start ${REGISTRY_BINARY}: ${error.message}\n`);
  process.exit(1);
});
registry.once("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (registry.exitCode === null) registry.kill("SIGTERM");
  });
}
