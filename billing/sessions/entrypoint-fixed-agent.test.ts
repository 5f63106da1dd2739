/**
 * Issue 13 §3 (the entrypoint part): in a built image, CODITECT_NODE and CODITECT_AGENT_BUNDLE cannot
 * replace the agent. No image is built here, so each entrypoint runs from a copy whose install paths
 * (/opt/coditect, the node image's /usr/local/bin/node) point into a temporary "image root" holding an
 * installed agent; nothing else in the script changes. Outside an image (no installed bundle) the
 * variables still select the agent, as the e2e tests (agent.e2e, workstation-entrypoint.e2e) use them.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = mkdtempSync(join(tmpdir(), "entrypoint-root-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "bin"));
mkdirSync(join(root, "agent"));
symlinkSync(process.execPath, join(root, "bin", "node"));
const report = (who: string) =>
  `console.log("${who} " + process.argv.slice(2).join(" "));\n` +
  `console.log("env " + Object.keys(process.env).filter((k) => /^CODITECT_(NODE|AGENT_BUNDLE)$/.test(k)).join(","));\n`;
writeFileSync(join(root, "agent", "coditect-agent.mjs"), report("installed-agent"));
const evil = join(root, "evil-agent.mjs");
writeFileSync(evil, report("evil-agent"));

function installed(image: "docker" | "workstation"): string {
  const script = readFileSync(join("images", image, "entrypoint.sh"), "utf8")
    .replaceAll("/usr/local/bin/node", join(root, "bin", "node"))
    .replaceAll("/opt/coditect", root);
  const path = join(root, `${image}-entrypoint.sh`);
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return path;
}

describe.each(["docker", "workstation"] as const)("%s entrypoint in a built image", (image) => {
  it("runs the installed agent whatever CODITECT_NODE and CODITECT_AGENT_BUNDLE say", () => {
    const run = spawnSync("sh", [installed(image), "true"], {
      env: {
        PATH: process.env.PATH,
        CODITECT_NODE: process.execPath,
        CODITECT_AGENT_BUNDLE: evil,
        CODITECT_LICENSE_KEY: "CODITECT-PRO-TEST",
        CODITECT_IDENTITY_TOKEN_FILE: join(root, "token"),
      },
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("installed-agent run -- ");
    expect(run.stdout).not.toContain("evil-agent");
    // Nor do the variables reach the agent (and through it the payload).
    expect(run.stdout).toContain("env \n");
    expect(run.status).toBe(0);
  });
});
