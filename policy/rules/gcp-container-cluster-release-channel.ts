/**
 * The cluster follows a release channel so security patches arrive without a manual upgrade.
 * Severity: low. Anchor: Checkov CKV_GCP_70.
 */
import * as gcp from "@pulumi/gcp";
import { resourceRule, shown } from "../rule.js";

const CHANNELS = ["REGULAR", "STABLE", "RAPID"];

export const policy = resourceRule(
  gcp.container.Cluster,
  {
    name: "gcp-container-cluster-release-channel",
    description: "GKE clusters must be enrolled in a release channel.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: 'Set `releaseChannel.channel` to "REGULAR" or "STABLE".',
    anchor: "Checkov CKV_GCP_70",
  },
  (cluster) => {
    const channel = cluster.releaseChannel?.channel;
    return typeof channel === "string" && CHANNELS.includes(channel)
      ? undefined
      : `releaseChannel.channel is ${shown(channel)}.`;
  },
);
