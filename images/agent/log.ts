/**
 * The agent's log lines: the shared Cloud Logging shape (lib/logger.ts) on stderr, so a workstation's
 * logs read like billing's and the operator's (`service: "agent"`). Written synchronously: the agent
 * calls process.exit right after its last line, which must not be lost.
 */
import pino, { type DestinationStream } from "pino";
import { createServiceLogger } from "../../lib/logger.js";

export type AgentLog = (level: "info" | "warn" | "error", message: string) => void;

export function createAgentLog(destination?: DestinationStream): AgentLog {
  const logger = createServiceLogger({
    service: "agent",
    destination: destination ?? pino.destination({ dest: 2, sync: true }),
  });
  return (level, message) => logger[level](message);
}
