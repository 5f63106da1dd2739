/**
 * `npm run billing`: validates the configuration, opens the database (DATABASE_URL, or embedded PGlite
 * under .data/), applies migrations, connects the cluster feed (KUBECONFIG, else the pod's service account:
 * cluster/credentials.ts), serves the app and
 * runs the periodic maintenance sweep. SIGTERM/SIGINT drain in-flight requests and close everything.
 */
import pg from "pg";
import { collectDefaultMetrics, Registry } from "prom-client";
import { parseCommandLine } from "../lib/cli.js";
import { systemClock } from "../lib/clock.js";
import { bufferedStdout } from "../lib/logger.js";
import { startWorkstationReadyScan } from "./accounts/workstations/ready.js";
import { createApp } from "./app.js";
import { loadKubeCredentials } from "./cluster/credentials.js";
import { KubeClusterFeed } from "./cluster/feed.js";
import { startClusterWatchdog } from "./cluster/watchdog.js";
import { BILLING_ENV_VARIABLES, ConfigError, loadConfig, resolveSecretFiles } from "./config.js";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./db/embedded.js";
import { migrate, pendingMigrations } from "./db/migrate.js";
import {
  MIGRATION_STEP_USAGE,
  type MigrationStepOptions,
  migrationStepProblem,
  runMigrationStep,
} from "./db/migration-step.js";
import { createPool } from "./db/pool.js";
import type { BillingDeps } from "./deps.js";
import { createHttpServer } from "./http/node-server.js";
import { startExpiryScan } from "./notifications/expiry-scan.js";
import { createNotificationSender, startNotificationSender } from "./notifications/sender.js";
import { createSmtpTransport } from "./notifications/transport.js";
import { createLogger } from "./ops/logger.js";
import { startMaintenance } from "./ops/maintenance.js";
import { startRetentionSweep } from "./ops/retention.js";
import { stopSessions } from "./sessions/router.js";
import { createStripeClient } from "./stripe/client.js";

const SHUTDOWN_TIMEOUT_MS = 10_000;
/** How often each replica looks for due messages; a message waits about this long after its commit. */
const NOTIFICATION_SEND_INTERVAL_MS = 5_000;
const EXPIRY_SCAN_INTERVAL_MS = 60 * 60 * 1000;

async function main(): Promise<void> {
  const { values } = parseCommandLine({
    name: "billing",
    usage: `usage: npm run billing [-- --migrate-only [--runtime-user <login> [--runtime-password-file <file>]]]
Configured only by environment variables (docs/billing.md): ${BILLING_ENV_VARIABLES.join(", ")}
  --migrate-only                  run the migration step as DATABASE_URL's role and exit (the image's init container)
${MIGRATION_STEP_USAGE}`,
    options: {
      "migrate-only": { type: "boolean" },
      "runtime-user": { type: "string" },
      "runtime-password-file": { type: "string" },
    },
  });
  if (values["migrate-only"]) {
    await migrateOnly({
      runtimeUser: values["runtime-user"],
      runtimePasswordFile: values["runtime-password-file"],
    });
    return;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  // Lines buffered and written together, flushed at exit (ADR 0306): only billing's serving process.
  const logger = createLogger(config.logLevel, bufferedStdout());
  if (config.admin.breakGlassToken !== undefined) {
    logger.warn(
      { adminEmails: config.admin.emails.length },
      "admin break-glass token enabled: every use is logged and audited as break-glass (ADR 0165); production leaves it off",
    );
  }
  let embedded: EmbeddedPostgres | undefined;
  let connectionString = config.databaseUrl;
  if (!connectionString) {
    embedded = await startEmbeddedPostgres(config.pgliteDir);
    connectionString = embedded.url;
    logger.warn(
      { dir: config.pgliteDir },
      "DATABASE_URL unset: using embedded PGlite (single session; not for production)",
    );
  }
  // PGlite serves one session at a time: a pool of one keeps transactions from blocking each other.
  const pool = createPool(connectionString, embedded ? { max: 1, queued: true } : { max: 10 }, logger);
  if (config.databaseMigrations === "apply") {
    const applied = await migrate(pool);
    logger.info({ applied }, "database migrated");
  } else {
    // The runtime role cannot migrate (ADR 0166): serving an older schema would fail request by request.
    const pending = await pendingMigrations(pool);
    if (pending.length > 0) {
      throw new Error(
        `the database lacks migrations ${pending.join(", ")} and DATABASE_MIGRATIONS=verify: run \`npm run migrate\` as the migration role first (docs/operations.md)`,
      );
    }
    logger.info("database schema is current (migrations applied by the migration role)");
  }

  let kube: KubeClusterFeed | undefined;
  const credentials = loadKubeCredentials(config.kubernetes);
  if (credentials.source === "none") {
    // Loud: in a pod this means no License is ever written and the operator has nothing to do.
    logger.warn(
      { reason: credentials.reason },
      "no Kubernetes credentials: cluster feed disabled; licenses are kept in Postgres only",
    );
  } else {
    kube = new KubeClusterFeed(credentials.connection, pool, logger);
    logger.info({ cluster: credentials.server, source: credentials.source }, "cluster feed enabled");
  }

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const deps: BillingDeps = {
    config,
    db: pool,
    stripe: createStripeClient(config),
    clock: systemClock,
    logger,
    kube,
    metrics,
  };
  const server = createHttpServer(createApp(deps), logger).listen(config.port, () => {
    const address = server.address();
    logger.info(
      { port: typeof address === "object" && address ? address.port : config.port },
      "billing listening",
    );
  });
  const maintenance = startMaintenance(deps, config.resyncIntervalMs);
  void maintenance.runOnce();
  const watchdog = startClusterWatchdog(deps);
  // Ended session rows and finished rate-limit windows are deleted after their retention (ADR 0162).
  const retention = startRetentionSweep(deps);
  // Notifications (ADR 0210): every replica sends from the outbox; requests only insert rows.
  const transport = config.smtp ? createSmtpTransport(config.smtp) : undefined;
  const notifications =
    config.smtp && transport
      ? startNotificationSender(
          deps,
          createNotificationSender(deps, transport, { from: config.smtp.from }),
          NOTIFICATION_SEND_INTERVAL_MS,
        )
      : undefined;
  if (!notifications) logger.warn("SMTP_HOST unset: notifications stay queued in the outbox, none is sent");
  const expiryScan = startExpiryScan(deps, EXPIRY_SCAN_INTERVAL_MS);
  void expiryScan.runOnce();
  const workstationReady = startWorkstationReadyScan(deps); // issue 16: the workstation-ready email

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: draining requests");
    const force = setTimeout(() => {
      logger.error("shutdown timed out; exiting");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Heartbeat statuses coalesced for the next flush (≤ 5 s of them) and running creations reach the
    // cluster before the pool closes: a write may need the database (ADR 0302).
    await stopSessions(deps);
    await maintenance.stop();
    await watchdog.stop();
    await retention.stop();
    await notifications?.stop();
    await expiryScan.stop();
    await workstationReady.stop();
    transport?.close();
    await pool.end();
    await embedded?.stop();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/**
 * The migration step inside the billing image (ADR 0166): needs only DATABASE_URL (+ DATABASE_PASSWORD_FILE),
 * not the service's other configuration, and exits 0 when the schema and the runtime login are current.
 */
async function migrateOnly(options: MigrationStepOptions): Promise<void> {
  const problem = migrationStepProblem(options);
  let url: string | undefined;
  try {
    url = resolveSecretFiles(process.env).DATABASE_URL;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  if (problem || !url) {
    console.error(
      `billing --migrate-only: ${problem ?? "DATABASE_URL is required (the migration role's database URL)"}`,
    );
    process.exit(2);
  }
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await runMigrationStep(pool, options, (line) => console.log(line));
  } finally {
    await pool.end();
  }
  process.exit(0);
}

// A failed start (database unreachable, a migration failing) must end the process: open pool sockets would
// otherwise keep it alive, not serving, until the liveness probe gives up.
await main().catch((error: unknown) => {
  console.error("billing failed to start:", error);
  process.exit(1);
});
