/**
 * The agent's state on disk, for the image HEALTHCHECK (`agent status`) and for restarts while offline.
 * state.json holds no secret: never the license key nor the session token. The offline token (not a
 * secret: it grants nothing on the server) is kept beside it so a restarted container can run offline.
 */
import { chmodSync, chownSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentPhase, AgentState } from "./decide.js";

export interface AgentStateFile {
  phase: AgentPhase;
  message: string;
  pid: number;
  sessionId?: string;
  licenseTier?: string;
  organization?: string;
  lastHeartbeatAt?: string;
  offlineTokenExpiresAt?: string;
  exitCode?: number;
  updatedAt: string;
}

export const stateFilePath = (dir: string) => join(dir, "state.json");
export const offlineTokenPath = (dir: string) => join(dir, "offline-token.jwt");
export const jwksCachePath = (dir: string) => join(dir, "jwks.json");

function writeAtomically(path: string, text: string, mode: number): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode });
  renameSync(temp, path);
}

export function toStateFile(state: AgentState, now: number, pid: number): AgentStateFile {
  const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    phase: state.phase,
    message: state.message,
    pid,
    sessionId: state.session?.sessionId,
    licenseTier: state.session?.licenseTier,
    organization: state.session?.organization,
    lastHeartbeatAt: iso(state.lastHeartbeatAtMs),
    offlineTokenExpiresAt: iso(state.offlineToken?.expiresAtMs),
    exitCode: state.exitCode,
    updatedAt: new Date(now).toISOString(),
  };
}

/**
 * Makes the state directory the agent's alone (issue 13 §7): owned by the agent's user, mode 0700. Called
 * before the payload starts when the payload runs as another user, so the payload can neither read the
 * offline token nor replace it (a directory the image created for the payload's user is taken back).
 */
export function secureStateDir(dir: string, owner: { uid: number; gid: number }): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chownSync(dir, owner.uid, owner.gid);
  chmodSync(dir, 0o700);
}

export function writeStateFile(dir: string, file: AgentStateFile, offlineToken?: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeAtomically(stateFilePath(dir), `${JSON.stringify(file, null, 2)}\n`, 0o644);
  if (offlineToken) writeAtomically(offlineTokenPath(dir), `${offlineToken}\n`, 0o600);
}

export function readStateFile(dir: string): AgentStateFile | undefined {
  try {
    return JSON.parse(readFileSync(stateFilePath(dir), "utf8")) as AgentStateFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read agent state ${stateFilePath(dir)}: ${(error as Error).message}`);
  }
}

export function readCachedOfflineToken(dir: string): string | undefined {
  try {
    return readFileSync(offlineTokenPath(dir), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the container is licensed right now, for the healthcheck: the agent process is alive, and it is
 * online, or offline with an unexpired offline token. Pure (liveness is passed in) so it is table-tested.
 */
export function assessHealth(
  file: AgentStateFile | undefined,
  now: number,
  agentAlive: boolean,
): { healthy: boolean; reason: string } {
  if (!file) return { healthy: false, reason: "no agent state yet (agent not started)" };
  if (!agentAlive && file.phase !== "stopped")
    return { healthy: false, reason: `agent process ${file.pid} is not running` };
  switch (file.phase) {
    case "online":
      return { healthy: true, reason: file.message };
    case "offline": {
      const until = file.offlineTokenExpiresAt ? Date.parse(file.offlineTokenExpiresAt) : 0;
      return now < until
        ? { healthy: true, reason: `offline, licensed until ${file.offlineTokenExpiresAt}` }
        : { healthy: false, reason: "offline and the offline token has expired" };
    }
    case "starting":
      return { healthy: false, reason: "validating the license" };
    default:
      return { healthy: false, reason: `${file.phase}: ${file.message}` };
  }
}
