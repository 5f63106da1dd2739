/**
 * The migration step, run as the migration role before billing serves (`npm run migrate`, or the billing
 * image's init container: `billing.mjs --migrate-only`; ADR 0166): apply pending migrations, then give the
 * runtime login its role — created with its password from a file, or an existing login granted
 * billing_runtime.
 */
import { readFileSync } from "node:fs";
import type { Db } from "../deps.js";
import { grantRuntimeRole, migrate } from "./migrate.js";
import { ensureRuntimeLogin } from "./runtime-login.js";

export interface MigrationStepOptions {
  runtimeUser?: string | undefined;
  /** File holding the runtime login's password (Secret Manager mount); absent: the login must exist. */
  runtimePasswordFile?: string | undefined;
}

export const MIGRATION_STEP_USAGE = `  --runtime-user <login>          then make that login (the role billing serves as) a member of billing_runtime
  --runtime-password-file <file>  create or update that login with the password in the file (ADR 0166)`;

export const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Why the options are unusable, or undefined. Pure. */
export function migrationStepProblem(o: MigrationStepOptions): string | undefined {
  if (o.runtimeUser !== undefined && !ROLE_NAME.test(o.runtimeUser)) {
    return `--runtime-user "${o.runtimeUser}" is not a PostgreSQL role name (lower case letters, digits, _)`;
  }
  if (o.runtimePasswordFile !== undefined && o.runtimeUser === undefined) {
    return "--runtime-password-file needs --runtime-user";
  }
  return undefined;
}

export async function runMigrationStep(
  db: Db,
  o: MigrationStepOptions,
  log: (line: string) => void,
): Promise<void> {
  const applied = await migrate(db);
  log(applied.length ? `applied migrations ${applied.join(", ")}` : "database is up to date");
  if (o.runtimeUser === undefined) return;
  if (o.runtimePasswordFile !== undefined) {
    const password = readFileSync(o.runtimePasswordFile, "utf8").trim();
    if (!password) throw new Error(`${o.runtimePasswordFile} is empty: no password for ${o.runtimeUser}`);
    await ensureRuntimeLogin(db, o.runtimeUser, password);
    log(`runtime login ${o.runtimeUser} is current and a member of billing_runtime`);
  } else {
    await grantRuntimeRole(db, o.runtimeUser);
    log(`${o.runtimeUser} is a member of billing_runtime`);
  }
}
