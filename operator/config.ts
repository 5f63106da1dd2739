/**
 * Operator configuration, read from the environment once at start and validated with zod. A bad value
 * stops the operator with a message naming every bad variable, its value and what is expected.
 * Kubernetes credentials come from KUBECONFIG or else the in-cluster service account (lib/kube/connection.ts
 * loadKubeConnection, the rule billing uses too); Google credentials from Application Default Credentials
 * (Workload Identity on GKE).
 */
import { z } from "zod";
import { WORKSTATION_TIER_NAMES, type WorkstationTier } from "../lib/domain.js";
import type { KubeConnectionSettings } from "../lib/kube/connection.js";

const RESOURCE_ID = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const id = (what: string) =>
  z
    .string({ message: `is required (${what})` })
    .regex(RESOURCE_ID, `must be a Google Cloud resource id (lowercase letters, digits, hyphens) — ${what}`);

const tierConfigs = z
  .string({ message: "is required, e.g. standard=coditect-standard,power=coditect-power,ai=coditect-ai" })
  .transform((text, ctx) => {
    const out: Partial<Record<WorkstationTier, string>> = {};
    for (const pair of text
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [tier, config, extra] = pair.split("=").map((p) => p.trim());
      if (!tier || !config || extra !== undefined) {
        ctx.addIssue({ code: "custom", message: `entry "${pair}" is not tier=configId` });
        continue;
      }
      if (!(WORKSTATION_TIER_NAMES as string[]).includes(tier)) {
        ctx.addIssue({
          code: "custom",
          message: `unknown tier "${tier}" (tiers: ${WORKSTATION_TIER_NAMES.join(", ")})`,
        });
        continue;
      }
      if (!RESOURCE_ID.test(config)) {
        ctx.addIssue({
          code: "custom",
          message: `config id "${config}" for tier ${tier} is not a resource id`,
        });
        continue;
      }
      out[tier as WorkstationTier] = config;
    }
    if (Object.keys(out).length === 0) ctx.addIssue({ code: "custom", message: "maps no tier to a config" });
    return out;
  });

const bool = z.enum(["true", "false"], { message: "must be true or false" }).transform((v) => v === "true");
const ms = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const envSchema = z.object({
  WORKSTATIONS_PROJECT: id("the Google Cloud project of the workstation cluster"),
  WORKSTATIONS_REGION: id("the region of the workstation cluster, e.g. us-central1"),
  WORKSTATIONS_CLUSTER: id("the workstation cluster id"),
  WORKSTATIONS_TIER_CONFIGS: tierConfigs,
  WORKSTATIONS_ENDPOINT: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, "must be host or host:port, e.g. workstations.googleapis.com")
    .optional(),
  WORKSTATIONS_INSECURE: bool.default(false),
  OPERATOR_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a namespace name")
    .default("coditect-operator"),
  POD_NAME: z.string().min(1).optional(),
  OPERATOR_LEADER_ELECTION: bool.default(true),
  OPERATOR_WORKERS: z.coerce.number().int().min(1).max(64).default(4),
  OPERATOR_PROBE_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  OPERATOR_RELIST_MS: ms(1_000, 24 * 3_600_000, 10 * 60_000),
  OPERATOR_OPERATION_POLL_MS: ms(100, 600_000, 2_000),
  OPERATOR_OBSERVE_INTERVAL_MS: ms(1_000, 24 * 3_600_000, 5 * 60_000),
  OPERATOR_LICENSE_MISSING_GRACE_MS: ms(0, 7 * 24 * 3_600_000, 15 * 60_000),
  // The API client's request rate, as client-go's QPS/Burst (lib/kube's rateLimit option, ADR 0262).
  OPERATOR_KUBE_QPS: z.coerce.number().min(1).max(10_000).default(600),
  OPERATOR_KUBE_BURST: z.coerce.number().int().min(1).max(20_000).default(1_200),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Where the Kubernetes API is: KUBECONFIG (local runs), else the pod's service account (the kubelet sets
  // KUBERNETES_SERVICE_HOST/PORT in every pod; our Deployment sets none of the three).
  KUBECONFIG: z.string().min(1).optional(),
  KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
  KUBERNETES_SERVICE_PORT: z.string().regex(/^\d+$/, "must be a port number").optional(),
});

export interface OperatorConfig {
  project: string;
  region: string;
  cluster: string;
  /** projects/P/locations/R/workstationClusters/C */
  clusterName: string;
  tierConfigs: Partial<Record<WorkstationTier, string>>;
  /** host and port of the Workstations API; undefined = Google's endpoint. */
  endpoint: { host: string; port?: number } | undefined;
  /** Plain-text gRPC without credentials: only for the local fake. */
  insecure: boolean;
  namespace: string;
  identity: string;
  leaderElection: boolean;
  workers: number;
  probePort: number;
  relistPeriodMs: number;
  operationPollMs: number;
  observeIntervalMs: number;
  /** How long a missing License counts as unknown (nothing stopped) before it counts as lapsed. */
  licenseMissingGraceMs: number;
  /** Requests per second and burst of the Kubernetes API client. */
  kubeClientRateLimit: { qps: number; burst: number };
  /** KUBECONFIG → in-cluster service account → none (lib/kube/connection.ts loadKubeConnection). */
  kube: KubeConnectionSettings;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid operator configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Every environment variable the operator reads (the rehearsal compares them with the Deployment's env). */
export const OPERATOR_ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** Validates `env` (default process.env); throws ConfigError listing every problem. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  hostname = "operator",
): OperatorConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? "(environment)");
        const value = env[variable];
        return `${variable}${value === undefined ? "" : `=${JSON.stringify(value)}`}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  const [host, port] = e.WORKSTATIONS_ENDPOINT?.split(":") ?? [];
  return {
    project: e.WORKSTATIONS_PROJECT,
    region: e.WORKSTATIONS_REGION,
    cluster: e.WORKSTATIONS_CLUSTER,
    clusterName: `projects/${e.WORKSTATIONS_PROJECT}/locations/${e.WORKSTATIONS_REGION}/workstationClusters/${e.WORKSTATIONS_CLUSTER}`,
    tierConfigs: e.WORKSTATIONS_TIER_CONFIGS,
    endpoint: host ? { host, ...(port ? { port: Number(port) } : {}) } : undefined,
    insecure: e.WORKSTATIONS_INSECURE,
    namespace: e.OPERATOR_NAMESPACE,
    identity: `${e.POD_NAME ?? hostname}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    leaderElection: e.OPERATOR_LEADER_ELECTION,
    workers: e.OPERATOR_WORKERS,
    probePort: e.OPERATOR_PROBE_PORT,
    relistPeriodMs: e.OPERATOR_RELIST_MS,
    operationPollMs: e.OPERATOR_OPERATION_POLL_MS,
    observeIntervalMs: e.OPERATOR_OBSERVE_INTERVAL_MS,
    licenseMissingGraceMs: e.OPERATOR_LICENSE_MISSING_GRACE_MS,
    kubeClientRateLimit: { qps: e.OPERATOR_KUBE_QPS, burst: e.OPERATOR_KUBE_BURST },
    kube: {
      kubeconfig: e.KUBECONFIG,
      serviceHost: e.KUBERNETES_SERVICE_HOST,
      servicePort: e.KUBERNETES_SERVICE_PORT,
    },
    logLevel: e.LOG_LEVEL,
  };
}
