/**
 * `npm run operator`: runs the operator with KUBECONFIG (or the in-cluster service account) against
 * Cloud Workstations (or, with WORKSTATIONS_ENDPOINT + WORKSTATIONS_INSECURE=true, the local fake).
 * Configuration: operator/config.ts and docs/operator.md. SIGTERM/SIGINT shut down gracefully.
 */
import { hostname } from "node:os";
import { parseCommandLine } from "../lib/cli.js";
import { systemClock } from "../lib/clock.js";
import { createKubeClient } from "../lib/kube/client.js";
import { loadKubeConnection } from "../lib/kube/connection.js";
import { createServiceLogger } from "../lib/logger.js";
import { ConfigError, loadConfig, OPERATOR_ENV_VARIABLES } from "./config.js";
import { registerContainerSessionControllers, SESSION_WORKERS_MIN } from "./containersession/register.js";
import { createWorkstationsGateway } from "./gcp/workstations.js";
import { createOperator } from "./operator.js";
import { OperatorMetrics } from "./runtime/metrics.js";

async function main(): Promise<void> {
  parseCommandLine({
    name: "operator",
    usage: `usage: npm run operator\nConfigured only by environment variables (docs/operator.md#configuration): ${OPERATOR_ENV_VARIABLES.join(", ")}`,
  });
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, hostname());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createServiceLogger({ service: "operator", level: config.logLevel });
  const metrics = new OperatorMetrics();
  const found = loadKubeConnection(config.kube);
  if (found.source === "none") {
    console.error(`operator: no Kubernetes API to connect to: ${found.reason}`);
    process.exit(2);
  }
  // One client for the whole process: its keep-alive connections and QPS/burst limit are shared by every
  // informer, write, Event and Lease request (ADR 0262; lib/kube, ADR 0310).
  const kubeClient = createKubeClient(found.connection, {
    rateLimit: config.kubeClientRateLimit,
    clock: systemClock,
    userAgent: "coditect-operator",
  });
  logger.info({ kube: found.connection.description }, "Kubernetes API");
  const gateway = createWorkstationsGateway({
    ...(config.endpoint ? { apiEndpoint: config.endpoint.host } : {}),
    ...(config.endpoint?.port ? { port: config.endpoint.port } : {}),
    insecure: config.insecure,
    projectId: config.project,
    observer: metrics.workstationsCallObserver(),
  });
  let exiting = false;
  const { manager, licenses } = createOperator({
    kubeClient,
    gateway,
    clock: systemClock,
    logger,
    metrics,
    clusterName: config.clusterName,
    policy: {
      tierConfigs: config.tierConfigs,
      operationPollMs: config.operationPollMs,
      observeIntervalMs: config.observeIntervalMs,
      licenseMissingGraceMs: config.licenseMissingGraceMs,
    },
    workers: config.workers,
    leaderElection: config.leaderElection
      ? { namespace: config.namespace, name: "coditect-operator", identity: config.identity }
      : false,
    probePort: config.probePort,
    relistPeriodMs: config.relistPeriodMs,
    onFatal: (reason) => {
      logger.fatal({ reason }, "exiting");
      void gateway.close().finally(() => process.exit(1));
    },
  });
  const shutdown = async (signal: string) => {
    if (exiting) return;
    exiting = true;
    logger.info({ signal }, "shutting down");
    await manager.stop();
    await gateway.close();
    await kubeClient.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  registerContainerSessionControllers(manager, {
    licenses,
    clock: systemClock,
    logger,
    workers: Math.max(config.workers, SESSION_WORKERS_MIN),
  });
  await manager.start();
  logger.info(
    { probePort: manager.probePort, cluster: config.clusterName, identity: config.identity },
    "operator started; waiting for the lease",
  );
}

main().catch((error) => {
  console.error(`operator failed to start: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
