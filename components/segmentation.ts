/**
 * NetworkSegmentation: the firewall rules that know WHO runs where (ADR 0110). The Network's baseline
 * denies all ingress; these rules open only what each machine needs, addressed by service account
 * (every GKE node and every workstation VM runs as its own account, so no tag can be forged by a tenant):
 *
 * - GKE nodes accept traffic from nodes and pods, the control plane's webhooks and Google's health checks.
 *   Workstations are NOT a source: a customer's workstation reaches billing only through its public
 *   ingress (the license API), like any client.
 * - Workstation VMs may not send to GKE nodes, pods, services or the control plane, to Cloud SQL's private
 *   services range (a peered network our ingress rules cannot protect) or to other workstations.
 * - Workstation egress is default-deny (issue 13 L6, docs/adr/0173): they reach only their cluster's
 *   control-plane IP (Cloud Workstations needs it), Google APIs through Private Google Access's
 *   private.googleapis.com addresses (the registry with its package mirrors, logging; DNS in
 *   PrivateGoogleApisDns sends *.googleapis.com and *.pkg.dev there) and the license server
 *   (`WorkstationEgressAllow`, added with the control plane, whose ingress owns that address). The
 *   metadata server (DNS, identity tokens) is never subject to firewall rules.
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

/**
 * Priorities: the workstation allows beat the workstation denies (internal ranges first, then everything),
 * which beat the VPC's implied allow-egress.
 */
export const PRIORITY = {
  workstationAllow: 800,
  workstationDeny: 900,
  gkeAllow: 1_000,
  workstationDefaultDeny: 65_000,
} as const;

/** private.googleapis.com: Private Google Access's addresses for (almost) every Google API (ADR 0173). */
export const PRIVATE_GOOGLE_ACCESS_RANGES = ["199.36.153.8/30"];

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
    rule("ws-google-apis", {
      description:
        "Workstation VMs to Google APIs through private.googleapis.com (registry, mirrors, logging)",
      direction: "EGRESS",
      priority: PRIORITY.workstationAllow,
      destinationRanges: PRIVATE_GOOGLE_ACCESS_RANGES,
      targetServiceAccounts: workstations,
      allows: [{ protocol: "tcp", ports: ["443"] }],
    });
    rule("ws-deny-egress", {
      description: "Workstation VMs reach nothing else: default-deny egress (issue 13 L6)",
      direction: "EGRESS",
      priority: PRIORITY.workstationDefaultDeny,
      destinationRanges: ["0.0.0.0/0"],
      targetServiceAccounts: workstations,
      denies: [{ protocol: "all" }],
    });
    this.registerOutputs({ rules: this.rules.map((r) => r.name) });
  }
}

export interface WorkstationEgressArgs {
  project: pulumi.Input<string>;
  networkId: pulumi.Input<string>;
  /** Email of the workstation VMs' service account. */
  workstationServiceAccount: pulumi.Input<string>;
  /** The one IPv4 address allowed (https only). */
  address: pulumi.Input<string>;
  description: string;
}

/**
 * One more https destination for the workstations beyond the default deny: the license server (billing's
 * global ingress address, which exists only once the control plane does).
 */
export class WorkstationEgressAllow extends pulumi.ComponentResource {
  readonly rule: gcp.compute.Firewall;

  constructor(name: string, args: WorkstationEgressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:WorkstationEgressAllow", name, {}, opts);
    this.rule = new gcp.compute.Firewall(
      childName(name, "rule"),
      {
        project: args.project,
        network: args.networkId,
        name: gcpResourceId([name]),
        description: args.description,
        direction: "EGRESS",
        priority: PRIORITY.workstationAllow,
        destinationRanges: [pulumi.interpolate`${args.address}/32`],
        targetServiceAccounts: [args.workstationServiceAccount],
        allows: [{ protocol: "tcp", ports: ["443"] }],
        logConfig: { metadata: "INCLUDE_ALL_METADATA" },
      },
      { parent: this },
    );
    this.registerOutputs({ rule: this.rule.name });
  }
}
