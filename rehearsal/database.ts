/**
 * PostgreSQL like Cloud SQL (C4): ssl=on with a server certificate from a test CA that has no
 * subject-alternative name (Cloud SQL's has no IP entry), TCP without TLS refused, password auth, and the
 * role and database the rendered DATABASE_URL names, with the password the rehearsal generated.
 */
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
