/**
 * PostgreSQL like Cloud SQL (C4): ssl=on with a server certificate from a test CA that has no IP
 * subject-alternative name (Cloud SQL's does not), TCP without TLS refused, scram-sha-256 passwords, and the
 * role and database the rendered DATABASE_URL names.
 *
 * Adapter until C4 (`startPostgres({ ssl })`) is in this checkout: the plain test server is switched to
 * TLS-only at run time (certificate files written into its data directory, ALTER SYSTEM + pg_hba.conf +
 * pg_reload_conf()).
 */
import { execFileSync } from "node:child_process";
import { chownSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { createCertificateAuthority } from "../test-support/pki/index.js";
import { type PostgresServer, startPostgres } from "../test-support/postgres/server.js";

export interface CloudSqlLike {
  host: string;
  port: number;
  /** The server CA (what Cloud SQL's serverCaCerts holds). */
  caPem: string;
  /** Superuser connection (TLS, certificate not checked: only the rehearsal uses it). */
  adminConfig: pg.ClientConfig;
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

const quoteIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;
const quoteLiteral = (s: string) => `'${s.replaceAll("'", "''")}'`;

export async function startCloudSqlLike(instanceName: string, role: DatabaseRole): Promise<CloudSqlLike> {
  const ca = await createCertificateAuthority("Google Cloud SQL Server CA (rehearsal)");
  // Cloud SQL's server certificate: CN=<project>:<instance>, no subjectAltName at all.
  const leaf = await ca.issue({ commonName: instanceName });
  const server: PostgresServer = await startPostgres();
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  try {
    const dataDir = (await admin.query<{ data_directory: string }>("SHOW data_directory")).rows[0]!
      .data_directory;
    const owner =
      process.getuid?.() === 0 ? Number(execFileSync("id", ["-u", "postgres"]).toString().trim()) : -1;
    const files: [string, string][] = [
      ["server.crt", leaf.certPem],
      ["server.key", leaf.keyPem],
    ];
    for (const [name, content] of files) {
      const path = join(dataDir, name);
      writeFileSync(path, content, { mode: 0o600 });
      if (owner >= 0) chownSync(path, owner, owner);
    }
    writeFileSync(
      join(dataDir, "pg_hba.conf"),
      [
        "local all all trust",
        "hostssl all postgres 127.0.0.1/32 trust",
        "hostssl all all 127.0.0.1/32 scram-sha-256",
        "hostnossl all all 0.0.0.0/0 reject",
        "",
      ].join("\n"),
    );
    await admin.query("ALTER SYSTEM SET ssl = on");
    await admin.query("ALTER SYSTEM SET password_encryption = 'scram-sha-256'");
    await admin.query("SELECT pg_reload_conf()");
    await admin.query(`CREATE ROLE ${quoteIdent(role.role)} LOGIN PASSWORD ${quoteLiteral(role.password)}`);
    await admin.query(`CREATE DATABASE ${quoteIdent(role.database)} OWNER ${quoteIdent(role.role)}`);
  } finally {
    await admin.end();
  }
  const adminConfig: pg.ClientConfig = {
    host: "127.0.0.1",
    port: server.port,
    user: "postgres",
    database: role.database,
    ssl: { rejectUnauthorized: false },
  };
  return { host: "127.0.0.1", port: server.port, caPem: ca.certPem, adminConfig, stop: () => server.stop() };
}
