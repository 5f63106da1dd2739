/**
 * The service's connection pool, built to ride through a PostgreSQL restart (Cloud SQL maintenance,
 * failover; ADR 0120): an idle client's connection ending is logged, not an unhandled 'error' event that
 * ends the process; waiting for a connection is bounded so requests fail fast with 503 instead of hanging;
 * the pool opens new connections by itself once the server is back.
 */
import pg from "pg";
import type { Logger } from "pino";

/** How long a request waits for a connection before it is answered 503. */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * `queued`: the embedded PGlite serves one session, so requests queue for its single connection and must
 * not time out waiting (local runs only).
 */
export function createPool(
  connectionString: string,
  options: { max: number; queued?: boolean },
  logger: Logger,
): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max,
    connectionTimeoutMillis: options.queued ? 0 : CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  pool.on("error", (err) => {
    // The pool has already discarded the client; the next request opens a new connection.
    logger.warn(
      { err: { message: err.message, code: (err as { code?: unknown }).code } },
      "database connection lost (idle client); the pool reconnects on demand",
    );
  });
  return pool;
}
