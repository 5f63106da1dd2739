/**
 * The operator's workload: two replicas (one active through the leader lease), hardened pods, its config
 * in the environment variables operator/config.ts reads, probes on the operator's HTTP port.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { WorkstationTier } from "../../lib/domain.js";
import { childName } from "../naming.js";
import {
  containerResources,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  TMP_MOUNT,
  TMP_VOLUME,
} from "./pod-security.js";

export const OPERATOR_PROBE_PORT = 8081;

export interface OperatorWorkloadArgs {
  namespace: pulumi.Input<string>;
  serviceAccountName: pulumi.Input<string>;
  image: string;
  labels: Record<string, string>;
  workstations: {
    project: string;
    region: string;
    clusterId: string;
    configIds: Record<WorkstationTier, string>;
  };
}

/** `standard=coditect-standard,power=…` — the WORKSTATIONS_TIER_CONFIGS format operator/config.ts parses. */
export function tierConfigsEnv(configIds: Record<WorkstationTier, string>): string {
  return Object.entries(configIds)
    .map(([tier, id]) => `${tier}=${id}`)
    .join(",");
}

export function createOperatorWorkload(
  name: string,
  args: OperatorWorkloadArgs,
  opts: pulumi.CustomResourceOptions,
) {
  const deployment = new k8s.apps.v1.Deployment(
    childName(name, "operator"),
    {
      metadata: { name: "operator", namespace: args.namespace, labels: args.labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: args.labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: args.labels },
          spec: {
            serviceAccountName: args.serviceAccountName,
            automountServiceAccountToken: true,
            securityContext: restrictedPodSecurityContext(),
            nodeSelector: { "iam.gke.io/gke-metadata-server-enabled": "true" },
            containers: [
              {
                name: "operator",
                image: args.image,
                imagePullPolicy: "IfNotPresent",
                env: [
                  { name: "WORKSTATIONS_PROJECT", value: args.workstations.project },
                  { name: "WORKSTATIONS_REGION", value: args.workstations.region },
                  { name: "WORKSTATIONS_CLUSTER", value: args.workstations.clusterId },
                  { name: "WORKSTATIONS_TIER_CONFIGS", value: tierConfigsEnv(args.workstations.configIds) },
                  {
                    name: "OPERATOR_NAMESPACE",
                    valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
                  },
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  { name: "OPERATOR_LEADER_ELECTION", value: "true" },
                  { name: "OPERATOR_PROBE_PORT", value: String(OPERATOR_PROBE_PORT) },
                  // A License missing from the cluster (objects lost, billing re-projecting) is unknown,
                  // not revoked, for this long: no workstation is stopped meanwhile (docs/adr/0125).
                  { name: "OPERATOR_LICENSE_MISSING_GRACE_MS", value: String(15 * 60_000) },
                  // The API client's request rate (client-go's QPS/Burst): a revoked License with 5,000 live
                  // sessions is one status write each, done within 10 s (docs/adr/0262).
                  { name: "OPERATOR_KUBE_QPS", value: "600" },
                  { name: "OPERATOR_KUBE_BURST", value: "1200" },
                  { name: "LOG_LEVEL", value: "info" },
                ],
                ports: [{ name: "http-probes", containerPort: OPERATOR_PROBE_PORT }],
                livenessProbe: {
                  httpGet: { path: "/healthz", port: OPERATOR_PROBE_PORT },
                  periodSeconds: 20,
                  failureThreshold: 3,
                },
                readinessProbe: {
                  httpGet: { path: "/readyz", port: OPERATOR_PROBE_PORT },
                  periodSeconds: 10,
                },
                resources: containerResources({ request: "100m", limit: "500m" }, "256Mi"),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [TMP_MOUNT],
              },
            ],
            volumes: [TMP_VOLUME],
          },
        },
      },
    },
    opts,
  );
  const disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
    childName(name, "operator-pdb"),
    {
      metadata: { name: "operator", namespace: args.namespace, labels: args.labels },
      spec: { minAvailable: 1, selector: { matchLabels: args.labels } },
    },
    opts,
  );
  return { deployment, disruptionBudget };
}
