import type pg from "pg";

/** Anything that runs a query: a pool, a pool client inside a transaction. */
export type Queryable = Pick<pg.PoolClient, "query">;
