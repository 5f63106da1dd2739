/** Transaction helper: BEGIN, run, COMMIT, or ROLLBACK and rethrow. */
import type pg from "pg";
import type { Db } from "../deps.js";

export type Tx = pg.PoolClient;

export async function withTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
