/**
 * The agent's exit codes. Entrypoints exit with them, so an operator reading `docker ps -a` or a
 * workstation log can tell why a container stopped. Documented in images/README.md; keep both in step.
 */
export const EXIT = {
  /** The payload ended (its own code is passed through) or a signal asked the container to stop. */
  ok: 0,
  /** Internal error in the agent itself (a bug: please report). */
  internal: 1,
  /** Configuration error: a required environment variable is missing or invalid. */
  config: 2,
  /** The license server refused the license: unknown, revoked, suspended or expired. */
  licenseRejected: 3,
  /** Every seat of the license is taken (the license's concurrent-container limit). */
  seatLimitReached: 4,
  /** The license server was unreachable at start and no valid offline token was cached. */
  serverUnreachable: 5,
  /** The server stayed unreachable until the offline token expired (72 h after the last heartbeat). */
  offlineGraceExpired: 6,
  /** The server ended the session (license revoked or lapsed, session expired with no free seat). */
  sessionEnded: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
