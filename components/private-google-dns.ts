/**
 * PrivateGoogleApisDns: private DNS zones that send `*.googleapis.com` and `*.pkg.dev` (Artifact Registry,
 * with the workstation image and the package mirrors) to private.googleapis.com's addresses, so machines whose
 * egress is default-deny (the workstations, issue 13 L6) reach Google APIs through one small, fixed range
 * instead of Google's public ones (docs/adr/0173). The zones are visible only inside our VPC.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childName, gcpResourceId } from "./naming.js";

/** The four addresses of private.googleapis.com (199.36.153.8/30). */
export const PRIVATE_GOOGLE_ACCESS_ADDRESSES = [
  "199.36.153.8",
  "199.36.153.9",
  "199.36.153.10",
  "199.36.153.11",
];

/** Domains answered privately: an A record for the apex on the addresses, a CNAME for everything below. */
export const PRIVATE_GOOGLE_DOMAINS = {
  googleapis: { dnsName: "googleapis.com.", apex: "private.googleapis.com." },
  pkgdev: { dnsName: "pkg.dev.", apex: "pkg.dev." },
} as const;

export interface PrivateGoogleApisDnsArgs {
  project: pulumi.Input<string>;
  networkId: pulumi.Input<string>;
  labels: Record<string, string>;
}

export class PrivateGoogleApisDns extends pulumi.ComponentResource {
  readonly zones: gcp.dns.ManagedZone[] = [];

  constructor(name: string, args: PrivateGoogleApisDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("coditect:index:PrivateGoogleApisDns", name, {}, opts);
    const parent = { parent: this };
    for (const [key, domain] of Object.entries(PRIVATE_GOOGLE_DOMAINS)) {
      const zone = new gcp.dns.ManagedZone(
        childName(name, key),
        {
          project: args.project,
          name: gcpResourceId([name, key]),
          dnsName: domain.dnsName,
          description: `${domain.dnsName} through Private Google Access (private.googleapis.com), inside our VPC only`,
          visibility: "private",
          privateVisibilityConfig: { networks: [{ networkUrl: args.networkId }] },
          labels: args.labels,
        },
        parent,
      );
      this.zones.push(zone);
      new gcp.dns.RecordSet(
        childName(name, `${key}-apex`),
        {
          project: args.project,
          managedZone: zone.name,
          name: domain.apex,
          type: "A",
          ttl: 300,
          rrdatas: PRIVATE_GOOGLE_ACCESS_ADDRESSES,
        },
        parent,
      );
      new gcp.dns.RecordSet(
        childName(name, `${key}-wildcard`),
        {
          project: args.project,
          managedZone: zone.name,
          name: `*.${domain.dnsName}`,
          type: "CNAME",
          ttl: 300,
          rrdatas: [domain.apex],
        },
        parent,
      );
    }
    this.registerOutputs({ zones: this.zones.map((z) => z.name) });
  }
}
