/**
 * What a failure from PostgreSQL means for the client (ADR 0120). Pure: decides from the error's SQLSTATE
 * (pg's DatabaseError `code`) or, for a connection that broke or never opened, from the socket error.
 * Everything the database does not accept is retryable (503 with Retry-After) except a data exception
 * (class 22: a value the request carried is out of range or malformed for its column), which no retry fixes.
 */

/** SQLSTATE classes (first two characters) of failures a retry can get past. */
const TRANSIENT_CLASSES: Record<string, string> = {
  "08": "connection exception",
  "40": "transaction rollback (serialization failure or deadlock)",
  "53": "insufficient resources",
  "55": "object not in prerequisite state (lock not available)",
  "57": "operator intervention (server shutting down or restarting)",
  "58": "system error",
};

/** Socket-level failures of the driver (no SQLSTATE): the server is down, restarting or unreachable. */
const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** Messages pg and pg-pool throw (plain Errors) when a connection ends or cannot be had in time. */
const CONNECTION_ERROR_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /is not queryable/,
  /^Client was closed and is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
  /^Query read timeout/,
];

export type DatabaseFailure =
  | { kind: "unavailable"; detail: string }
  | { kind: "rejected_value"; detail: string }
  | { kind: "error"; detail: string };

const SQLSTATE = /^[0-9A-Z]{5}$/;

function isPgDatabaseError(err: unknown): err is { code: string; message: string; severity?: unknown } {
  const e = err as { code?: unknown; severity?: unknown; name?: unknown };
  return (
    typeof e?.code === "string" &&
    SQLSTATE.test(e.code) &&
    (e.name === "error" || typeof e.severity === "string")
  );
}

/** Classifies a thrown value; undefined when it is not a database failure. */
export function classifyDatabaseFailure(err: unknown): DatabaseFailure | undefined {
  if (isPgDatabaseError(err)) {
    const cls = err.code.slice(0, 2);
    if (cls === "22") return { kind: "rejected_value", detail: `${err.code}: ${err.message}` };
    const transient = TRANSIENT_CLASSES[cls];
    if (transient) return { kind: "unavailable", detail: `${err.code} ${transient}` };
    return { kind: "error", detail: err.code };
  }
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === "string" && CONNECTION_ERROR_CODES.has(e.code)) {
    return { kind: "unavailable", detail: e.code };
  }
  if (
    err instanceof Error &&
    !("status" in err) &&
    CONNECTION_ERROR_MESSAGES.some((pattern) => pattern.test(err.message))
  ) {
    return { kind: "unavailable", detail: err.message };
  }
  return undefined;
}
