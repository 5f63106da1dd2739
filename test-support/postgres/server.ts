/**
 * Test infrastructure: a throwaway real PostgreSQL server for tests and benchmarks.
 *
 * Starts Debian's PostgreSQL binaries (initdb / pg_ctl) in a temporary directory on a free loopback port.
 * PGlite is not used here on purpose: it is a single shared session and cannot test row locks or isolation.
 * When running as root, the server runs as the `postgres` OS user (initdb refuses root).
 *
 * `ssl` makes it behave like Cloud SQL with "require SSL" (issue 11, contract C4): `ssl=on` with the given
 * server certificate, TCP connections without TLS refused (pg_hba `hostssl` only), password auth
 * (scram-sha-256) for every role but the superuser, which connects over the Unix socket only (`adminUrl`).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { CertificateAuthority, KeyPairPem } from "../pki/index.js";

export interface PostgresSslOptions {
  /** Server certificate (issue it with test-support/pki WITHOUT an IP SAN, as Cloud SQL's has none). */
  certPem: string;
  keyPem: string;
  /** CA for client certificates (ssl_ca_file); not needed for password auth. */
  caPem?: string;
}

export interface PostgresOptions {
  ssl?: PostgresSslOptions;
}

export interface PostgresServer {
  /**
   * Connection string for the `postgres` superuser database. With `ssl` it goes through the Unix socket
   * (TCP requires TLS and a password there).
   */
  readonly adminUrl: string;
  readonly port: number;
  /** Creates a fresh, empty database and returns its connection string. */
  createDatabase(prefix?: string): Promise<string>;
  /**
   * Restarts the server as Cloud SQL maintenance does: `pg_ctl stop -m fast` (sessions are terminated with
   * "terminating connection due to administrator command"), then `whileDown` runs with the server down,
   * then it starts again on the same port with the same data.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

const BIN_CANDIDATES = [
  "/usr/lib/postgresql/15/bin",
  "/usr/lib/postgresql/16/bin",
  "/usr/lib/postgresql/17/bin",
];

function findBinary(name: string): string {
  for (const dir of BIN_CANDIDATES) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
  } catch {
    throw new Error(
      `PostgreSQL binary "${name}" not found: install the server with "apt-get install -y postgresql" (tests need a real PostgreSQL)`,
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function runAsPostgresUser(command: string, args: string[]): void {
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    const quoted = [command, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    execFileSync("su", ["postgres", "-s", "/bin/sh", "-c", quoted], { stdio: "pipe" });
  } else {
    execFileSync(command, args, { stdio: "pipe" });
  }
}

/** Writes a file the server reads, owned by the server's OS user with mode 0600 (PostgreSQL insists for keys). */
function writeServerFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(path, uid, gid);
  }
}

/** Cloud SQL with "require SSL": TLS on TCP only, passwords (scram) for application roles. */
const SSL_HBA = [
  "# written by test-support/postgres (ssl): like Cloud SQL requiring SSL",
  "local all postgres trust",
  "local all all scram-sha-256",
  "hostssl all all 127.0.0.1/32 scram-sha-256",
  "hostssl all all ::1/128 scram-sha-256",
  "",
].join("\n");

function sslSettings(dir: string, dataDir: string, ssl: PostgresSslOptions): string {
  writeServerFile(join(dir, "server.crt"), ssl.certPem);
  writeServerFile(join(dir, "server.key"), ssl.keyPem);
  if (ssl.caPem) writeServerFile(join(dir, "ca.crt"), ssl.caPem);
  writeServerFile(join(dataDir, "pg_hba.conf"), SSL_HBA);
  return [
    "-c ssl=on",
    `-c ssl_cert_file=${join(dir, "server.crt")}`,
    `-c ssl_key_file=${join(dir, "server.key")}`,
    ssl.caPem ? `-c ssl_ca_file=${join(dir, "ca.crt")}` : "",
    "-c password_encryption=scram-sha-256",
  ]
    .filter(Boolean)
    .join(" ");
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), "coditect-pg-"));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const dataDir = join(dir, "data");
  const port = await freePort();
  runAsPostgresUser(findBinary("initdb"), [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-locale",
    "-N",
  ]);
  const ssl = options.ssl ? ` ${sslSettings(dir, dataDir, options.ssl)}` : "";
  const start = () =>
    runAsPostgresUser(findBinary("pg_ctl"), [
      "-D",
      dataDir,
      "-l",
      join(dir, "pg.log"),
      "-o",
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300${ssl}`,
      "-w",
      "start",
    ]);
  start();
  const adminUrl = options.ssl
    ? `postgres://postgres@localhost/postgres?host=${encodeURIComponent(dir)}&port=${port}`
    : `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    port,
    createDatabase: (prefix = "test") => createTestDatabase(adminUrl, prefix),
    async restart(whileDown) {
      runAsPostgresUser(findBinary("pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"]);
      try {
        await whileDown?.();
      } finally {
        start();
      }
    },
    async stop() {
      try {
        runAsPostgresUser(findBinary("pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Creates a fresh database on the server the vitest global setup started (see global-setup.ts). */
export async function createTestDatabase(adminUrl: string, prefix = "test"): Promise<string> {
  const url = new URL(adminUrl);
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A server certificate shaped like Cloud SQL's: the instance connection name as common name and no
 * subject-alternative name at all (in particular no IP), so only chain verification can succeed.
 */
export function issueCloudSqlLikeCertificate(ca: CertificateAuthority): Promise<KeyPairPem> {
  return ca.issue({ commonName: "coditect-test:us-central1:billing" });
}

export interface RoleAndDatabase {
  role: string;
  password: string;
  database: string;
}

/**
 * Creates a login role with a password and a database it owns (as Cloud SQL's `billing` user and database),
 * e.g. `createRoleAndDatabase(server.adminUrl, { role: "billing", password, database: "billing" })`.
 */
export async function createRoleAndDatabase(adminUrl: string, spec: RoleAndDatabase): Promise<void> {
  for (const [what, value] of [
    ["role", spec.role],
    ["database", spec.database],
  ] as const) {
    if (!/^[a-z_][a-z0-9_]*$/.test(value)) {
      throw new Error(`createRoleAndDatabase: ${what} "${value}" must be a lower-case SQL identifier`);
    }
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const literal = (await client.query<{ q: string }>("SELECT quote_literal($1) AS q", [spec.password]))
      .rows[0]!.q;
    // CREATEROLE, CREATEDB: what Cloud SQL's built-in users get (cloudsqlsuperuser); migration 070 creates
    // the billing_runtime group role (ADR 0166).
    await client.query(`CREATE ROLE "${spec.role}" LOGIN CREATEROLE CREATEDB PASSWORD ${literal}`);
    await client.query(`CREATE DATABASE "${spec.database}" OWNER "${spec.role}"`);
  } finally {
    await client.end();
  }
}
