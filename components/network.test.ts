import { beforeAll, describe, expect, it } from "vitest";
import { type Recording, startRecording } from "../stacks/plan/harness.js";
import { Network } from "./network.js";

let rec: Recording;
let component: Network;

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
  await rec.settle();
});

const componentUrn = "urn:pulumi:test::coditect-control-plane::coditect:index:Network::net";

describe("Network", () => {
  it("registers under its type token and parents every child to itself", () => {
    expect(rec.get("coditect:index:Network", "net").urn).toBe(componentUrn);
    const children = rec.resources.filter((r) => r.custom);
    expect(children.length).toBeGreaterThan(8);
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
        expect(rule.inputs.sourceRanges).not.toContain("0.0.0.0/0");
        expect(rule.inputs.priority).toBeLessThan(deny.priority as number);
      }
    }
    const ports = rules.flatMap((r) =>
      ((r.inputs.allows ?? []) as { ports?: string[] }[]).flatMap((a) => a.ports ?? []),
    );
    expect(ports).not.toContain("22");
  });
});
