/** The sandbox data directory: `--reset` wipes it, but only when it is recognisably a sandbox's. */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { OFFLINE_KEYS_FILE, SECRETS_FILE } from "./secrets.js";

const SANDBOX_MARKERS = [SECRETS_FILE, OFFLINE_KEYS_FILE, "pglite", "kubeconfig", "kube", "logs"];

/**
 * Removes dataDir. Refuses (throws, deleting nothing) when it holds anything but sandbox files, so a
 * mistyped `--data-dir ~ --reset` cannot wipe a home directory.
 */
export function resetDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  const entries = readdirSync(dataDir);
  const foreign = entries.filter((e) => !SANDBOX_MARKERS.includes(e) && !/^sandbox.*\.json$/.test(e));
  const agentStateDirs = foreign.filter((e) => e.startsWith("agent"));
  const unknown = foreign.filter((e) => !agentStateDirs.includes(e));
  if (unknown.length > 0) {
    throw new Error(
      `--reset refused: ${dataDir} holds files the sandbox did not create (${unknown.slice(0, 5).join(", ")}); ` +
        "remove it yourself or choose another --data-dir",
    );
  }
  rmSync(dataDir, { recursive: true, force: true });
}
