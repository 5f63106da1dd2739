/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded PGlite under .data/), then
 * optionally sets up billing's runtime login (ADR 0166). Run it as the migration role, which owns the tables.
 */
import pg from "pg";
import { parseCommandLine } from "../lib/cli.js";
import { startEmbeddedPostgres } from "./db/embedded.js";
import { MIGRATION_STEP_USAGE, migrationStepProblem, runMigrationStep } from "./db/migration-step.js";

const { values } = parseCommandLine({
  name: "migrate",
  usage: `usage: npm run migrate [-- --runtime-user <login> [--runtime-password-file <file>]]
Applies pending migrations to DATABASE_URL, or to the embedded PGlite under PGLITE_DIR (default .data/pglite).
${MIGRATION_STEP_USAGE}`,
  options: { "runtime-user": { type: "string" }, "runtime-password-file": { type: "string" } },
});
const options = {
  runtimeUser: values["runtime-user"],
  runtimePasswordFile: values["runtime-password-file"],
};
const problem = migrationStepProblem(options);
if (problem) {
  console.error(`migrate: ${problem}`);
  process.exit(2);
}
const url = process.env.DATABASE_URL;
const embedded = url ? undefined : await startEmbeddedPostgres(process.env.PGLITE_DIR ?? ".data/pglite");
const pool = new pg.Pool({ connectionString: url ?? embedded!.url, max: 1 });
try {
  await runMigrationStep(pool, options, (line) => console.log(line));
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await pool.end();
  await embedded?.stop();
}
