import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, startRecording } from "../stacks/plan/harness.js";
import { Network } from "./network.js";
import { PRIVATE_GOOGLE_ACCESS_ADDRESSES, PrivateGoogleApisDns } from "./private-google-dns.js";
import { NetworkSegmentation, PRIORITY, WorkstationEgressAllow } from "./segmentation.js";

let rec: Recording;
let component: Network;
const NODES = "coditect-gke-nodes@proj-test-1.iam.gserviceaccount.com";
const WORKSTATIONS = "coditect-workstation@proj-test-1.iam.gserviceaccount.com";

beforeAll(async () => {
  rec = await startRecording({ project: "coditect-control-plane", stack: "test" });
  component = new Network("net", {
    project: "proj-test-1",
    region: "us-central1",
    gkeNodesCidr: "10.10.0.0/20",
    gkePodsCidr: "10.20.0.0/16",
    gkeServicesCidr: "10.30.0.0/20",
    workstationsCidr: "10.40.0.0/20",
    gkeMasterCidr: "172.16.0.0/28",
    privateServicesPrefixLength: 20,
  });
  new NetworkSegmentation("seg", {
    project: "proj-test-1",
    networkId: component.network.id,
    gkeNodesCidr: "10.10.0.0/20",
    gkePodsCidr: "10.20.0.0/16",
    gkeServicesCidr: "10.30.0.0/20",
    gkeMasterCidr: "172.16.0.0/28",
    workstationsCidr: "10.40.0.0/20",
    privateServicesCidr: component.privateServicesCidr,
    gkeNodeServiceAccount: NODES,
    workstationServiceAccount: WORKSTATIONS,
    workstationControlPlaneIp: "10.40.0.2",
  });
  new WorkstationEgressAllow("ws-license", {
    project: "proj-test-1",
    networkId: component.network.id,
    workstationServiceAccount: WORKSTATIONS,
    address: "203.0.113.10",
    description: "license server",
  });
  new PrivateGoogleApisDns("gapis", { project: "proj-test-1", networkId: component.network.id, labels: {} });
  await rec.settle();
});

const componentUrn = "urn:pulumi:test::coditect-control-plane::coditect:index:Network::net";

describe("Network", () => {
  it("registers under its type token and parents every child to itself", () => {
    expect(rec.get("coditect:index:Network", "net").urn).toBe(componentUrn);
    const children = rec.resources.filter(
      (r) =>
        r.custom && !r.name.startsWith("seg-") && !r.name.startsWith("ws-") && !r.name.startsWith("gapis-"),
    );
    expect(children.length).toBeGreaterThanOrEqual(8);
    for (const child of children) {
      expect(child.parent).toBe(componentUrn);
      expect(child.name.startsWith("net-")).toBe(true);
    }
  });

  it("is a custom-mode VPC", () => {
    expect(rec.get("gcp:compute/network:Network", "net-vpc").inputs).toMatchObject({
      autoCreateSubnetworks: false,
      name: "net",
    });
  });

  it("gives GKE its pod and service ranges and both subnets flow logs and private Google access", () => {
    const gke = rec.get("gcp:compute/subnetwork:Subnetwork", "net-gke");
    expect(gke.inputs.secondaryIpRanges).toEqual([
      { rangeName: "net-pods", ipCidrRange: "10.20.0.0/16" },
      { rangeName: "net-services", ipCidrRange: "10.30.0.0/20" },
    ]);
    expect(component.podsRangeName).toBe("net-pods");
    for (const name of ["net-gke", "net-workstations"]) {
      const subnet = rec.get("gcp:compute/subnetwork:Subnetwork", name);
      expect(subnet.inputs.privateIpGoogleAccess).toBe(true);
      expect(subnet.inputs.logConfig).toMatchObject({ metadata: "INCLUDE_ALL_METADATA" });
      expect(subnet.dependencies).toContain(rec.get("gcp:compute/network:Network", "net-vpc").urn);
    }
    expect(rec.get("gcp:compute/subnetwork:Subnetwork", "net-workstations").inputs.ipCidrRange).toBe(
      "10.40.0.0/20",
    );
  });

  it("NATs both subnets through a router, with logging", () => {
    const nat = rec.get("gcp:compute/routerNat:RouterNat", "net-nat");
    expect(nat.inputs.sourceSubnetworkIpRangesToNat).toBe("LIST_OF_SUBNETWORKS");
    expect((nat.inputs.subnetworks as { name: string }[]).map((s) => s.name)).toEqual([
      "projects/proj-test-1/regions/us-central1/subnetworks/net-gke",
      "projects/proj-test-1/regions/us-central1/subnetworks/net-workstations",
    ]);
    expect(nat.inputs.logConfig).toEqual({ enable: true, filter: "ERRORS_ONLY" });
    expect(nat.dependencies).toContain(rec.get("gcp:compute/router:Router", "net-router").urn);
  });

  it("reserves a peering range for private services access (Cloud SQL)", () => {
    const range = rec.get("gcp:compute/globalAddress:GlobalAddress", "net-private-services");
    expect(range.inputs).toMatchObject({ purpose: "VPC_PEERING", addressType: "INTERNAL", prefixLength: 20 });
    const peering = rec.get("gcp:servicenetworking/connection:Connection", "net-private-services");
    expect(peering.inputs).toMatchObject({
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: ["net-private-services"],
    });
    expect(peering.dependencies).toContain(range.urn);
  });

  it("denies ingress by default, logs every rule and never opens anything to the internet", () => {
    const rules = rec.ofType("gcp:compute/firewall:Firewall");
    const deny = rec.get("gcp:compute/firewall:Firewall", "net-deny-all-ingress").inputs;
    expect(deny).toMatchObject({
      direction: "INGRESS",
      sourceRanges: ["0.0.0.0/0"],
      denies: [{ protocol: "all" }],
    });
    for (const rule of rules) {
      expect(rule.inputs.logConfig).toEqual({ metadata: "INCLUDE_ALL_METADATA" });
      if (rule.inputs.allows) {
        expect(rule.inputs.sourceRanges ?? []).not.toContain("0.0.0.0/0");
        expect(rule.inputs.priority).toBeLessThan(deny.priority as number);
      }
    }
    const ports = rules.flatMap((r) =>
      ((r.inputs.allows ?? []) as { ports?: string[] }[]).flatMap((a) => a.ports ?? []),
    );
    expect(ports).not.toContain("22");
  });
});

/** A rule matches traffic when its target SA and range cover it (GCP: lowest priority number wins). */
type Rule = { direction: string; priority: number; ranges: string[]; targets: string[]; allow: boolean };
function ip(a: string): number {
  return a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}
function inCidr(addr: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/") as [string, string];
  const size = 2 ** (32 - Number(bits));
  return ip(addr) >= ip(base) && ip(addr) < ip(base) + size;
}
/** Evaluates the recorded rules for one packet, like the VPC firewall: first match by priority, else implied. */
function verdict(direction: "INGRESS" | "EGRESS", sa: string, remote: string): boolean {
  const rules: Rule[] = rec.ofType("gcp:compute/firewall:Firewall").map((r) => ({
    direction: String(r.inputs.direction),
    priority: Number(r.inputs.priority ?? 1000),
    ranges: ((direction === "INGRESS" ? r.inputs.sourceRanges : r.inputs.destinationRanges) ??
      []) as string[],
    targets: (r.inputs.targetServiceAccounts ?? []) as string[],
    allow: r.inputs.allows !== undefined,
  }));
  const match = rules
    .filter((r) => r.direction === direction)
    .filter((r) => r.targets.length === 0 || r.targets.includes(sa))
    .filter((r) => r.ranges.some((c) => inCidr(remote, c)))
    .sort((a, b) => a.priority - b.priority)[0];
  return match ? match.allow : direction === "EGRESS"; // implied: allow egress, deny ingress
}

describe("NetworkSegmentation (ADR 0110), evaluated on the recorded rules", () => {
  it("keeps customer workstations away from GKE, Cloud SQL and each other", () => {
    for (const [what, addr] of [
      ["a GKE node", "10.10.0.7"],
      ["a pod", "10.20.3.4"],
      ["a ClusterIP", "10.30.0.10"],
      ["the GKE control plane", "172.16.0.2"],
      ["Cloud SQL (private services range)", "10.60.0.3"],
      ["another tenant's workstation", "10.40.0.9"],
    ] as const) {
      expect(verdict("EGRESS", WORKSTATIONS, addr), `workstation → ${what}`).toBe(false);
    }
    // …and nothing in the VPC admits them as a source either.
    expect(verdict("INGRESS", NODES, "10.40.0.9")).toBe(false);
    expect(verdict("INGRESS", WORKSTATIONS, "10.40.0.9")).toBe(false);
    expect(verdict("INGRESS", WORKSTATIONS, "10.20.3.4")).toBe(false);
  });

  it("leaves workstations what they need: their cluster's control plane, the license API and Google APIs", () => {
    expect(verdict("EGRESS", WORKSTATIONS, "10.40.0.2")).toBe(true);
    expect(verdict("EGRESS", WORKSTATIONS, "203.0.113.10")).toBe(true); // billing's public ingress
    for (const address of PRIVATE_GOOGLE_ACCESS_ADDRESSES)
      expect(verdict("EGRESS", WORKSTATIONS, address), address).toBe(true); // private.googleapis.com
  });

  it("denies workstations every other destination (default-deny egress, issue 13 L6) but not the GKE nodes", () => {
    for (const [what, addr] of [
      ["a public web server", "93.184.216.34"],
      ["a code host", "140.82.112.3"],
      ["Google's public API addresses (not the private VIP)", "142.250.72.10"],
      ["billing's address's neighbour", "203.0.113.11"],
    ] as const) {
      expect(verdict("EGRESS", WORKSTATIONS, addr), `workstation → ${what}`).toBe(false);
    }
    expect(verdict("EGRESS", NODES, "93.184.216.34")).toBe(true);
  });

  it("answers *.googleapis.com and *.pkg.dev inside the VPC with private.googleapis.com's addresses", () => {
    const records = rec
      .ofType("gcp:dns/recordSet:RecordSet")
      .map((r) => [r.inputs.name, r.inputs.type, r.inputs.rrdatas]);
    expect(records).toEqual(
      expect.arrayContaining([
        ["private.googleapis.com.", "A", PRIVATE_GOOGLE_ACCESS_ADDRESSES],
        ["*.googleapis.com.", "CNAME", ["private.googleapis.com."]],
        ["pkg.dev.", "A", PRIVATE_GOOGLE_ACCESS_ADDRESSES],
        ["*.pkg.dev.", "CNAME", ["pkg.dev."]],
      ]),
    );
    for (const zone of rec.ofType("gcp:dns/managedZone:ManagedZone"))
      expect(zone.inputs).toMatchObject({ visibility: "private" });
  });

  it("keeps GKE working: node/pod traffic, webhooks from the control plane, load balancer health checks", () => {
    expect(verdict("INGRESS", NODES, "10.20.3.4")).toBe(true);
    expect(verdict("INGRESS", NODES, "10.10.0.8")).toBe(true);
    expect(verdict("INGRESS", NODES, "172.16.0.2")).toBe(true);
    expect(verdict("INGRESS", NODES, "35.191.1.1")).toBe(true);
    expect(verdict("INGRESS", NODES, "198.51.100.1")).toBe(false);
  });

  it("addresses machines by service account and orders the control-plane allow before the denies", () => {
    for (const r of rec.ofType("gcp:compute/firewall:Firewall").filter((r) => r.name.startsWith("seg-"))) {
      expect((r.inputs.targetServiceAccounts as string[]).length).toBe(1);
    }
    expect(PRIORITY.workstationAllow).toBeLessThan(PRIORITY.workstationDeny);
    expect(PRIORITY.workstationDeny).toBeLessThan(PRIORITY.workstationDefaultDeny);
  });
});
