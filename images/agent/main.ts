/**
 * `coditect-agent` (npm run agent -- <command>):
 *   run [-- <payload> args…]  validate the license, heartbeat, supervise the payload, release on exit
 *   status                    exit 0 when the container is licensed right now (the image HEALTHCHECK)
 * Exit codes: images/agent/exit-codes.ts (documented in images/README.md).
 */
import { exitIfHelpRequested } from "../../lib/cli.js";
import { AgentConfigError, readAgentConfig } from "./config.js";
import { EXIT } from "./exit-codes.js";
import { createAgentLog } from "./log.js";
import { runAgent } from "./shell.js";
import { assessHealth, readStateFile } from "./state-file.js";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (the healthcheck may run as a different uid).
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const USAGE = "usage: coditect-agent run [-- <command> [args…]] | coditect-agent status";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Only the first word is the agent's; what follows `run` is the payload's own command line.
  exitIfHelpRequested(USAGE, command === "help" ? ["--help"] : argv.slice(0, 1));
  if (command?.startsWith("-")) {
    process.stderr.write(`coditect-agent: unknown option '${command}'\n${USAGE}\n`);
    return EXIT.config;
  }
  if (command === "status") {
    const stateDir = process.env.CODITECT_STATE_DIR || "/var/lib/coditect-agent";
    const file = readStateFile(stateDir);
    const health = assessHealth(file, Date.now(), file ? processAlive(file.pid) : false);
    process.stdout.write(`${health.healthy ? "licensed" : "not licensed"}: ${health.reason}\n`);
    return health.healthy ? 0 : 1;
  }
  if (command === "run") {
    const payload = rest[0] === "--" ? rest.slice(1) : rest;
    let config: ReturnType<typeof readAgentConfig>;
    try {
      config = readAgentConfig(process.env);
    } catch (error) {
      if (!(error instanceof AgentConfigError)) throw error;
      process.stderr.write(`coditect-agent: configuration error: ${error.message}\n`);
      return EXIT.config;
    }
    const uid = process.getuid?.();
    const log = createAgentLog();
    if (config.payloadUser && uid !== 0) {
      // Only root can start the payload as another user; failing later would leave a seat taken.
      process.stderr.write(
        `coditect-agent: configuration error: CODITECT_PAYLOAD_USER=${config.payloadUser.uid}:${config.payloadUser.gid} needs the agent to run as root (it runs as uid ${uid})\n`,
      );
      return EXIT.config;
    }
    if (config.buildMode === "production" && uid === 0 && !config.payloadUser && payload.length > 0) {
      // Not refused (a customer may run it so), but the payload then shares the agent's secrets (ADR 0156).
      log(
        "warn",
        "the payload runs as root like the agent: it can read the agent's state directory and /proc/<agent>/environ; set CODITECT_PAYLOAD_USER=uid:gid",
      );
    }
    return runAgent(config, { payload, log });
  }
  process.stderr.write(
    `coditect-agent: ${command ? `unknown command '${command}'` : "no command"}\n${USAGE}\n`,
  );
  return EXIT.config;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`coditect-agent: internal error: ${(error as Error).stack ?? error}\n`);
    process.exit(EXIT.internal);
  },
);
