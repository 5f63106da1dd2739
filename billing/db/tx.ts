/** Transaction helper: BEGIN, run, COMMIT, or ROLLBACK and rethrow. */
import type pg from "pg";
import type { Db } from "../deps.js";
import { classifyDatabaseFailure } from "./failures.js";

export type Tx = pg.PoolClient;

/** A checked-out client's connection dropping between queries is reported by the next query (ADR 0120). */
const ignoreDroppedConnection = (): void => undefined;

export async function withTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await db.connect();
  // While checked out the pool does not listen for the client's 'error' events: a server restart that
  // ends the connection while the work awaits something else (Stripe, the cluster) would otherwise be an
  // unhandled 'error' and end the process. The failure still surfaces from the next query.
  client.on("error", ignoreDroppedConnection);
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    if (classifyDatabaseFailure(err)?.kind === "unavailable") broken = err as Error;
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.removeListener("error", ignoreDroppedConnection);
    // A client whose connection failed is discarded rather than handed to the next request.
    client.release(broken);
  }
}
