/**
 * NetworkSegmentation: the firewall rules that know WHO runs where (ADR 0110). The Network's baseline
 * denies all ingress; these rules open only what each machine needs, addressed by service account
 * (every GKE node and every workstation VM runs as its own account, so no tag can be forged by a tenant):
 *
 * - GKE nodes accept traffic from nodes and pods, the control plane's webhooks and Google's health checks.
 *   Workstations are NOT a source: a customer's workstation reaches billing only through its public
 *   ingress (the license API), like any client.
 * - Workstation VMs may not send to GKE nodes, pods, services or the control plane, to Cloud SQL's private
 *   services range (a peered network our ingress rules cannot protect) or to other workstations. They keep
 *   the cluster's control-plane IP (Cloud Workstations needs it) and everything else: the license API and
 *   Google APIs (registry, logging) through Private Google Access and NAT.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName, gcpResourceId } from "./naming.js";
import { GOOGLE_HEALTH_CHECK_RANGES } from "./network.js";

export interface NetworkSegmentationArgs {
  project: pulumi.Input<string>;
  networkId: pulumi.Input<string>;
  gkeNodesCidr: string;
  gkePodsCidr: string;
  gkeServicesCidr: string;
  gkeMasterCidr: string;
  workstationsCidr: string;
  /** `<address>/<prefix>` reserved for private services access (Cloud SQL). */
  privateServicesCidr: pulumi.Input<string>;
  /** Email of the GKE nodes' service account. */
  gkeNodeServiceAccount: pulumi.Input<string>;
  /** Email of the workstation VMs' service account. */
  workstationServiceAccount: pulumi.Input<string>;
  /** The workstation cluster's control-plane IP (WorkstationCluster.controlPlaneIp). */
  workstationControlPlaneIp: pulumi.Input<string>;
}

/** Priorities: allows for the control-plane IP beat the workstation denies, which beat the default allow-egress. */
export const PRIORITY = { workstationAllow: 800, workstationDeny: 900, gkeAllow: 1_000 } as const;

export class NetworkSegmentation extends pulumi.ComponentResource {
  readonly rules: gcp.compute.Firewall[] = [];

  constructor(name: string, args: NetworkSegmentationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:NetworkSegmentation", name, {}, opts);
    const rule = (suffix: string, props: Omit<gcp.compute.FirewallArgs, "network" | "project" | "name">) =>
      this.rules.push(
        new gcp.compute.Firewall(
          childName(name, suffix),
          {
            project: args.project,
            network: args.networkId,
            name: gcpResourceId([name, suffix]),
            logConfig: { metadata: "INCLUDE_ALL_METADATA" },
            ...props,
          },
          { parent: this },
        ),
      );
    const nodes = [args.gkeNodeServiceAccount];
    const workstations = [args.workstationServiceAccount];

    rule("gke-internal", {
      description: "GKE nodes and pods to GKE nodes (pod-to-pod, kubelet, services); not workstations",
      direction: "INGRESS",
      priority: PRIORITY.gkeAllow,
      sourceRanges: [args.gkeNodesCidr, args.gkePodsCidr],
      targetServiceAccounts: nodes,
      allows: [{ protocol: "tcp" }, { protocol: "udp" }, { protocol: "icmp" }],
    });
    rule("gke-master-webhooks", {
      description: "GKE control plane to nodes (admission webhooks, metrics, kubelet)",
      direction: "INGRESS",
      priority: PRIORITY.gkeAllow,
      sourceRanges: [args.gkeMasterCidr],
      targetServiceAccounts: nodes,
      allows: [{ protocol: "tcp", ports: ["443", "8443", "9443", "10250"] }],
    });
    rule("gke-health-checks", {
      description: "Google load balancer health checks to the billing ingress backends on GKE nodes",
      direction: "INGRESS",
      priority: PRIORITY.gkeAllow,
      sourceRanges: GOOGLE_HEALTH_CHECK_RANGES,
      targetServiceAccounts: nodes,
      allows: [{ protocol: "tcp" }],
    });
    rule("ws-control-plane", {
      description: "Workstation VMs to their cluster's control plane (required by Cloud Workstations)",
      direction: "EGRESS",
      priority: PRIORITY.workstationAllow,
      destinationRanges: [pulumi.interpolate`${args.workstationControlPlaneIp}/32`],
      targetServiceAccounts: workstations,
      allows: [{ protocol: "tcp" }],
    });
    rule("ws-deny-internal", {
      description:
        "Workstation VMs never reach GKE (nodes, pods, services, control plane), Cloud SQL or other workstations",
      direction: "EGRESS",
      priority: PRIORITY.workstationDeny,
      destinationRanges: [
        args.gkeNodesCidr,
        args.gkePodsCidr,
        args.gkeServicesCidr,
        args.gkeMasterCidr,
        args.privateServicesCidr,
        args.workstationsCidr,
      ],
      targetServiceAccounts: workstations,
      denies: [{ protocol: "all" }],
    });
    this.registerOutputs({ rules: this.rules.map((r) => r.name) });
  }
}
