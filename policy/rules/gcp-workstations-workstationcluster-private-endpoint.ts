/**
 * The workstation cluster's gateway is private (reachable through Private Service Connect from our
 * network only), so workstations are never exposed on a public endpoint.
 * Severity: high. Anchor: none.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

export const policy = resourceRule(
  gcp.workstations.WorkstationCluster,
  {
    name: "gcp-workstations-workstationcluster-private-endpoint",
    description: "Workstation clusters must use a private endpoint.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set `privateClusterConfig.enablePrivateEndpoint` to true.",
    anchor: undefined,
  },
  (cluster) => {
    const enabled = cluster.privateClusterConfig?.enablePrivateEndpoint;
    return enabled === true
      ? undefined
      : `privateClusterConfig.enablePrivateEndpoint is ${shown(enabled)}: the cluster gateway is public.`;
  },
);
