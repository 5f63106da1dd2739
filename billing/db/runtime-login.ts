/**
 * The login billing serves as (ADR 0166): created and kept by the migration step, as a plain role whose
 * only rights come from billing_runtime. Not a Cloud SQL API user: those join cloudsqlsuperuser, whose
 * members may create roles and act for the database's owner. Its password comes from Secret Manager
 * (ADR 0024) and reaches PostgreSQL only as a SCRAM-SHA-256 verifier computed here, so neither the
 * statement nor the server's logs (pgaudit) ever hold it.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import pg from "pg";
import type { Db } from "../deps.js";
import { RUNTIME_ROLE } from "./migrate.js";

const SCRAM_ITERATIONS = 4096;

/** The verifier PostgreSQL stores for a password (RFC 5802/7677; what psql's \password sends). Pure. */
export function scramVerifier(
  password: string,
  salt: Buffer = randomBytes(16),
  iterations = SCRAM_ITERATIONS,
) {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * Creates `user` as a LOGIN role with `password` (or sets the password of an existing one) and makes it a
 * member of billing_runtime. Idempotent; two pods starting together both succeed.
 */
export async function ensureRuntimeLogin(db: Db, user: string, password: string): Promise<void> {
  const role = pg.escapeIdentifier(user);
  const secret = pg.escapeLiteral(scramVerifier(password));
  const exists = await db.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [user]);
  if (exists.rowCount === 0) {
    try {
      await db.query(`CREATE ROLE ${role} LOGIN PASSWORD ${secret}`);
    } catch (error) {
      // Another pod's migration step created it between our check and our CREATE.
      if ((error as { code?: string }).code !== "42710") throw error;
    }
  }
  await db.query(`ALTER ROLE ${role} LOGIN NOCREATEROLE NOCREATEDB PASSWORD ${secret}`);
  await db.query(`GRANT ${pg.escapeIdentifier(RUNTIME_ROLE)} TO ${role}`);
}
