/**
 * Billing against a PostgreSQL configured like Cloud SQL (ssl=on, server certificate without an IP SAN,
 * hostssl + scram only), through billing's own config path: the DATABASE_URL the Deployment renders
 * (components/control-plane/billing.ts) and DATABASE_PASSWORD_FILE, then migrations.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseUrl } from "../../components/control-plane/billing.js";
import { fakeStripePriceEnv } from "../../test-support/fake-stripe/index.js";
import { createCertificateAuthority } from "../../test-support/pki/index.js";
import {
  createRoleAndDatabase,
  issueCloudSqlLikeCertificate,
  type PostgresServer,
  startPostgres,
} from "../../test-support/postgres/server.js";
import { loadConfig } from "../config.js";
import { migrate } from "./migrate.js";

const PASSWORD = "s3cret/with:odd@chars";

describe("billing's DATABASE_URL against Cloud SQL-like TLS", () => {
  let server: PostgresServer;
  let dir: string;
  let caFile: string;
  let otherCaFile: string;
  let passwordFile: string;

  beforeAll(async () => {
    const ca = await createCertificateAuthority("Google Cloud SQL Server CA (test)");
    server = await startPostgres({ ssl: await issueCloudSqlLikeCertificate(ca) });
    await createRoleAndDatabase(server.adminUrl, {
      role: "billing",
      password: PASSWORD,
      database: "billing",
    });
    dir = mkdtempSync(join(tmpdir(), "billing-cloudsql-"));
    caFile = join(dir, "server-ca.pem");
    writeFileSync(caFile, ca.certPem);
    otherCaFile = join(dir, "other-ca.pem");
    writeFileSync(otherCaFile, (await createCertificateAuthority("another CA")).certPem);
    passwordFile = join(dir, "billing-database-password");
    writeFileSync(passwordFile, `${PASSWORD}\n`);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** DATABASE_URL as rendered (port and CA path aside) → billing's config → a pool as server.ts opens it. */
  const connectAsBilling = async (url: string): Promise<number[]> => {
    const config = loadConfig({
      STRIPE_SECRET_KEY: "sk_test_tls",
      STRIPE_WEBHOOK_SECRET: "whsec_tls",
      ADMIN_TOKEN: "t".repeat(40),
      ...fakeStripePriceEnv(),
      DATABASE_URL: url,
      DATABASE_PASSWORD_FILE: passwordFile,
    });
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 2 });
    try {
      return await migrate(pool);
    } finally {
      await pool.end();
    }
  };

  it("the rendered URL verifies the server against the Cloud SQL CA and migrates", async () => {
    const url = databaseUrl("127.0.0.1", "billing", "billing", { port: server.port, caFile });
    const applied = await connectAsBilling(url);
    expect(applied.length).toBeGreaterThan(0);
    // …and the session really is encrypted.
    const config = loadConfig({
      STRIPE_SECRET_KEY: "sk_test_tls",
      STRIPE_WEBHOOK_SECRET: "whsec_tls",
      ADMIN_TOKEN: "t".repeat(40),
      ...fakeStripePriceEnv(),
      DATABASE_URL: url,
      DATABASE_PASSWORD_FILE: passwordFile,
    });
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await client.end();
    }
  });

  it("the old URL (sslmode=verify-ca without libpq semantics) fails on the hostname check", async () => {
    const old = `postgres://billing@127.0.0.1:${server.port}/billing?sslmode=verify-ca&sslrootcert=${caFile}`;
    await expect(connectAsBilling(old)).rejects.toThrow(
      /Hostname\/IP does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID|IP: 127\.0\.0\.1 is not in the cert's list/,
    );
  });

  it("refuses a server whose certificate another CA issued", async () => {
    const url = databaseUrl("127.0.0.1", "billing", "billing", { port: server.port, caFile: otherCaFile });
    await expect(connectAsBilling(url)).rejects.toThrow(
      /self[- ]signed certificate|unable to verify|unable to get/,
    );
  });

  it("the server refuses plaintext connections", async () => {
    const plain = `postgres://billing@127.0.0.1:${server.port}/billing?sslmode=disable`;
    await expect(connectAsBilling(plain)).rejects.toThrow(/no pg_hba\.conf entry .*no encryption/);
  });
});
