/**
 * PostgreSQL like Cloud SQL (C4): ssl=on with a server certificate from a test CA that has no
 * subject-alternative name (Cloud SQL's has no IP entry), TCP without TLS refused, password auth, and the
 * role and database the rendered DATABASE_URL names, with the password the rehearsal generated.
 */
import pg from "pg";
import { createCertificateAuthority } from "../test-support/pki/index.js";
import {
  createRoleAndDatabase,
  type PostgresServer,
  startPostgres,
} from "../test-support/postgres/server.js";

export interface CloudSqlLike {
  host: string;
  port: number;
  /** The server CA (what Cloud SQL's serverCaCerts holds). */
  caPem: string;
  stop(): Promise<void>;
}

export interface DatabaseRole {
  role: string;
  password: string;
  database: string;
}

/** role/database from a rendered postgres:// URL. Pure. */
export function roleFromUrl(url: string, password: string): DatabaseRole {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!parsed.username || !database) throw new Error(`DATABASE_URL ${url} names no user or database`);
  return { role: decodeURIComponent(parsed.username), password, database };
}

export async function startCloudSqlLike(instanceName: string, role: DatabaseRole): Promise<CloudSqlLike> {
  const ca = await createCertificateAuthority("Google Cloud SQL Server CA (rehearsal)");
  // Cloud SQL's server certificate: CN=<project>:<instance>, no subjectAltName at all.
  const leaf = await ca.issue({ commonName: instanceName });
  const server: PostgresServer = await startPostgres({ ssl: { certPem: leaf.certPem, keyPem: leaf.keyPem } });
  try {
    await createRoleAndDatabase(server.adminUrl, role);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { host: "127.0.0.1", port: server.port, caPem: ca.certPem, stop: () => server.stop() };
}

/**
 * As billing's runtime login (ADR 0166): the audit log must refuse UPDATE, DELETE and turning its trigger
 * off with "permission denied", whatever the trigger says. Problems found, or [].
 */
export async function auditLogProblems(db: CloudSqlLike, runtime: DatabaseRole): Promise<string[]> {
  const client = new pg.Client({
    host: db.host,
    port: db.port,
    user: runtime.role,
    password: runtime.password,
    database: runtime.database,
    // Cloud SQL's certificate names the instance, not the address: verify the chain only (ADR 0035).
    ssl: { ca: db.caPem, checkServerIdentity: () => undefined },
  });
  await client.connect();
  const problems: string[] = [];
  try {
    const rows = (await client.query("SELECT count(*)::int AS n FROM audit_events")).rows[0].n as number;
    if (rows === 0) problems.push("the journey left no audit event for billing's login to read");
    for (const sql of [
      "UPDATE audit_events SET actor = 'rehearsal'",
      "DELETE FROM audit_events",
      "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    ]) {
      const refused = await client.query(sql).then(
        () => "accepted",
        (error: { code?: string }) =>
          error.code === "42501" ? undefined : `refused with ${error.code}, not 42501`,
      );
      if (refused) problems.push(`billing's login ${runtime.role}: \`${sql}\` was ${refused}`);
    }
  } finally {
    await client.end();
  }
  return problems;
}
