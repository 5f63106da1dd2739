/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded PGlite under .data/).
 * `--runtime-user <login>` then makes that login a member of billing_runtime (ADR 0166): run it as the
 * migration role, which owns the tables, so the login billing serves with gets the runtime grants only.
 */
import pg from "pg";
import { parseCommandLine } from "../lib/cli.js";
import { startEmbeddedPostgres } from "./db/embedded.js";
import { grantRuntimeRole, migrate, RUNTIME_ROLE } from "./db/migrate.js";

const { values } = parseCommandLine({
  name: "migrate",
  usage: `usage: npm run migrate [-- --runtime-user <login>]
Applies pending migrations to DATABASE_URL, or to the embedded PGlite under PGLITE_DIR (default .data/pglite).
  --runtime-user <login>  then grant ${RUNTIME_ROLE} to that login (the role billing serves as; ADR 0166)`,
  options: { "runtime-user": { type: "string" } },
});
const runtimeUser = values["runtime-user"];
if (runtimeUser !== undefined && !/^[a-z_][a-z0-9_$-]{0,62}$/.test(runtimeUser)) {
  console.error(
    `migrate: --runtime-user "${runtimeUser}" is not a PostgreSQL role name (lower case, ≤ 63 characters)`,
  );
  process.exit(2);
}
const url = process.env.DATABASE_URL;
const embedded = url ? undefined : await startEmbeddedPostgres(process.env.PGLITE_DIR ?? ".data/pglite");
const pool = new pg.Pool({ connectionString: url ?? embedded!.url, max: 1 });
try {
  const applied = await migrate(pool);
  console.log(applied.length ? `applied migrations ${applied.join(", ")}` : "database is up to date");
  if (runtimeUser !== undefined) {
    await grantRuntimeRole(pool, runtimeUser);
    console.log(`${runtimeUser} is a member of ${RUNTIME_ROLE}`);
  }
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await pool.end();
  await embedded?.stop();
}
