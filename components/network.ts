/**
 * Network: a custom-mode VPC with one subnet for GKE (pod and service secondary ranges) and one for
 * workstations, Cloud Router + NAT for egress without public IPs, private services access for Cloud SQL,
 * VPC flow logs on every subnet and a deny-all ingress baseline (logged); the allows that depend on who
 * runs where are NetworkSegmentation's.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName, gcpResourceId } from "./naming.js";

export interface NetworkArgs {
  /** GCP project id. */
  project: pulumi.Input<string>;
  /** Region of the subnets, router and NAT. */
  region: pulumi.Input<string>;
  /** Primary range of the GKE node subnet. */
  gkeNodesCidr: string;
  /** Secondary range for GKE pods. */
  gkePodsCidr: string;
  /** Secondary range for GKE services. */
  gkeServicesCidr: string;
  /** Primary range of the workstation subnet. */
  workstationsCidr: string;
  /** The GKE control plane's /28, allowed to reach nodes for webhooks. */
  gkeMasterCidr: string;
  /** Prefix length reserved for Google-managed services (Cloud SQL private IP). */
  privateServicesPrefixLength: number;
}

/** Google front-end and health-check ranges (load balancers reach the billing ingress backends). */
export const GOOGLE_HEALTH_CHECK_RANGES = ["35.191.0.0/16", "130.211.0.0/22"];

/** Flow logs: 5-second aggregation, half the flows sampled, all metadata (enough for incident review). */
const FLOW_LOGS = {
  aggregationInterval: "INTERVAL_5_SEC",
  flowSampling: 0.5,
  metadata: "INCLUDE_ALL_METADATA",
};

export class Network extends pulumi.ComponentResource {
  readonly network: gcp.compute.Network;
  readonly gkeSubnet: gcp.compute.Subnetwork;
  readonly workstationsSubnet: gcp.compute.Subnetwork;
  /** The peering Cloud SQL's private IP needs; depend on it before creating the instance. */
  readonly privateServicesConnection: gcp.servicenetworking.Connection;
  readonly podsRangeName: string;
  /** `<address>/<prefix>` of the private services range (Cloud SQL's peered network). */
  readonly privateServicesCidr: pulumi.Output<string>;
  readonly servicesRangeName: string;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:Network", name, {}, opts);
    const parent = { parent: this };
    this.podsRangeName = gcpResourceId([name, "pods"]);
    this.servicesRangeName = gcpResourceId([name, "services"]);

    this.network = new gcp.compute.Network(
      childName(name, "vpc"),
      {
        project: args.project,
        name: gcpResourceId([name]),
        autoCreateSubnetworks: false,
        routingMode: "REGIONAL",
        description: "CODITECT control plane and workstations (managed by Pulumi)",
      },
      parent,
    );

    this.gkeSubnet = new gcp.compute.Subnetwork(
      childName(name, "gke"),
      {
        project: args.project,
        region: args.region,
        name: gcpResourceId([name, "gke"]),
        network: this.network.id,
        ipCidrRange: args.gkeNodesCidr,
        privateIpGoogleAccess: true,
        secondaryIpRanges: [
          { rangeName: this.podsRangeName, ipCidrRange: args.gkePodsCidr },
          { rangeName: this.servicesRangeName, ipCidrRange: args.gkeServicesCidr },
        ],
        logConfig: FLOW_LOGS,
      },
      parent,
    );

    this.workstationsSubnet = new gcp.compute.Subnetwork(
      childName(name, "workstations"),
      {
        project: args.project,
        region: args.region,
        name: gcpResourceId([name, "workstations"]),
        network: this.network.id,
        ipCidrRange: args.workstationsCidr,
        privateIpGoogleAccess: true,
        logConfig: FLOW_LOGS,
      },
      parent,
    );

    const router = new gcp.compute.Router(
      childName(name, "router"),
      {
        project: args.project,
        region: args.region,
        name: gcpResourceId([name, "router"]),
        network: this.network.id,
      },
      parent,
    );
    new gcp.compute.RouterNat(
      childName(name, "nat"),
      {
        project: args.project,
        region: args.region,
        name: gcpResourceId([name, "nat"]),
        router: router.name,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
        subnetworks: [
          { name: this.gkeSubnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] },
          { name: this.workstationsSubnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] },
        ],
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      },
      parent,
    );

    const privateServicesRange = new gcp.compute.GlobalAddress(
      childName(name, "private-services"),
      {
        project: args.project,
        name: gcpResourceId([name, "private-services"]),
        network: this.network.id,
        purpose: "VPC_PEERING",
        addressType: "INTERNAL",
        prefixLength: args.privateServicesPrefixLength,
      },
      parent,
    );
    this.privateServicesCidr = pulumi.interpolate`${privateServicesRange.address}/${args.privateServicesPrefixLength}`;
    this.privateServicesConnection = new gcp.servicenetworking.Connection(
      childName(name, "private-services"),
      {
        network: this.network.id,
        service: "servicenetworking.googleapis.com",
        reservedPeeringRanges: [privateServicesRange.name],
      },
      parent,
    );

    this.firewallBaseline(name, args);
    this.registerOutputs({
      networkId: this.network.id,
      gkeSubnetId: this.gkeSubnet.id,
      workstationsSubnetId: this.workstationsSubnet.id,
    });
  }

  /** Deny all ingress (logged); NetworkSegmentation allows only what each machine needs. No SSH at all. */
  private firewallBaseline(name: string, args: NetworkArgs): void {
    const rule = (suffix: string, props: Omit<gcp.compute.FirewallArgs, "network" | "project" | "name">) =>
      new gcp.compute.Firewall(
        childName(name, suffix),
        {
          project: args.project,
          network: this.network.id,
          name: gcpResourceId([name, suffix]),
          logConfig: { metadata: "INCLUDE_ALL_METADATA" },
          ...props,
        },
        { parent: this },
      );
    rule("deny-all-ingress", {
      description: "Baseline: deny every ingress not allowed by a higher-priority rule",
      direction: "INGRESS",
      priority: 65_000,
      sourceRanges: ["0.0.0.0/0"],
      denies: [{ protocol: "all" }],
    });
    // The allows live in NetworkSegmentation: they address GKE nodes and workstation VMs by service
    // account, which exist only after this network (ADR 0110).
  }
}
