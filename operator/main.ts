/**
 * `npm run operator`: runs the operator with KUBECONFIG (or the in-cluster service account) against
 * Cloud Workstations (or, with WORKSTATIONS_ENDPOINT + WORKSTATIONS_INSECURE=true, the local fake).
 * Configuration: operator/config.ts and docs/operator.md. SIGTERM/SIGINT shut down gracefully.
 */
import { hostname } from "node:os";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { systemClock } from "../lib/clock.js";
import { ConfigError, loadConfig } from "./config.js";
import { registerContainerSessionControllers } from "./containersession/register.js";
import { createWorkstationsGateway } from "./gcp/workstations.js";
import { createOperator } from "./operator.js";

async function main(): Promise<void> {
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
  const logger = pino({ level: config.logLevel, base: { component: "coditect-operator" } });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  const gateway = createWorkstationsGateway({
    ...(config.endpoint ? { apiEndpoint: config.endpoint.host } : {}),
    ...(config.endpoint?.port ? { port: config.endpoint.port } : {}),
    insecure: config.insecure,
    projectId: config.project,
  });
  let exiting = false;
  const { manager, licenses } = createOperator({
    kubeConfig,
    gateway,
    clock: systemClock,
    logger,
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
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  registerContainerSessionControllers(manager, {
    kubeConfig,
    licenses,
    clock: systemClock,
    logger,
    workers: config.workers,
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
