/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded PGlite under .data/). */
import pg from "pg";
import { parseCommandLine } from "../lib/cli.js";
import { startEmbeddedPostgres } from "./db/embedded.js";
import { migrate } from "./db/migrate.js";

parseCommandLine({
  name: "migrate",
  usage:
    "usage: npm run migrate\nApplies pending migrations to DATABASE_URL, or to the embedded PGlite under PGLITE_DIR (default .data/pglite).",
});
const url = process.env.DATABASE_URL;
const embedded = url ? undefined : await startEmbeddedPostgres(process.env.PGLITE_DIR ?? ".data/pglite");
const pool = new pg.Pool({ connectionString: url ?? embedded!.url, max: 1 });
try {
  const applied = await migrate(pool);
  console.log(applied.length ? `applied migrations ${applied.join(", ")}` : "database is up to date");
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await pool.end();
  await embedded?.stop();
}
