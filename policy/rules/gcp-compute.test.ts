import { ruleCases } from "../testing/rule-cases.js";
import { policy as allPorts } from "./gcp-compute-firewall-no-public-all-ports.js";
import { policy as rdp } from "./gcp-compute-firewall-no-public-rdp.js";
import { policy as ssh } from "./gcp-compute-firewall-no-public-ssh.js";
import { policy as workstationEgress } from "./gcp-compute-firewall-workstation-egress-default-deny.js";
import { policy as customSubnets } from "./gcp-compute-network-custom-subnets.js";
import { policy as flowLogs } from "./gcp-compute-subnetwork-flow-logs.js";
import { policy as privateAccess } from "./gcp-compute-subnetwork-private-google-access.js";

ruleCases([
  {
    policy: ssh,
    breaks: [
      {
        title: "the IAP rule is opened to the internet",
        resource: "allow-iap-ssh",
        mutate: (i) => (i.sourceRanges = ["0.0.0.0/0"]),
        message: /tcp\/22 \(SSH\) from the internet/,
      },
      {
        title: "a public range covers 22",
        resource: "allow-https",
        mutate: (i) => (i.allows = [{ protocol: "tcp", ports: ["20-443"] }]),
        message: /tcp\/22/,
      },
      {
        title: "a public rule allows all protocols",
        resource: "allow-https",
        mutate: (i) => (i.allows = [{ protocol: "all" }]),
        message: /SSH/,
      },
      {
        title: "an ingress rule has no source at all (GCP defaults it to 0.0.0.0/0)",
        resource: "allow-iap-ssh",
        mutate: (i) => delete i.sourceRanges,
        message: /tcp\/22 \(SSH\) from the internet/,
      },
    ],
    passes: [
      {
        title: "the public rule is disabled",
        resource: "allow-iap-ssh",
        mutate: (i) => {
          i.sourceRanges = ["0.0.0.0/0"];
          i.disabled = true;
        },
      },
      {
        title: "the sources are network tags",
        resource: "allow-iap-ssh",
        mutate: (i) => {
          delete i.sourceRanges;
          i.sourceTags = ["bastion"];
        },
      },
      {
        title: "the rule is egress",
        resource: "allow-iap-ssh",
        mutate: (i) => {
          i.sourceRanges = ["0.0.0.0/0"];
          i.direction = "EGRESS";
        },
      },
    ],
  },
  {
    policy: rdp,
    breaks: [
      {
        title: "3389 is public",
        resource: "allow-https",
        mutate: (i) => i.allows[0].ports.push("3389"),
        message: /tcp\/3389 \(RDP\)/,
      },
    ],
  },
  {
    policy: allPorts,
    breaks: [
      {
        title: "tcp without ports is public",
        resource: "allow-https",
        mutate: (i) => delete i.allows[0].ports,
        message: /allows every tcp port from the internet/,
      },
      {
        title: "protocol all is public over IPv6",
        resource: "allow-https",
        mutate: (i) => {
          i.sourceRanges = ["::/0"];
          i.allows = [{ protocol: "all" }];
        },
        message: /every all port/,
      },
    ],
  },
  {
    policy: privateAccess,
    breaks: [
      {
        title: "Private Google Access is off",
        resource: "subnet",
        mutate: (i) => (i.privateIpGoogleAccess = false),
        message: /privateIpGoogleAccess is not true/,
      },
    ],
  },
  {
    policy: flowLogs,
    breaks: [
      {
        title: "flow logs are off",
        resource: "subnet",
        mutate: (i) => delete i.logConfig,
        message: /no VPC flow logs/,
      },
    ],
  },
  {
    policy: customSubnets,
    breaks: [
      {
        title: "the network is auto-mode",
        resource: "vpc",
        mutate: (i) => (i.autoCreateSubnetworks = true),
        message: /autoCreateSubnetworks is true/,
      },
      {
        title: "autoCreateSubnetworks is unset (auto-mode default)",
        resource: "vpc",
        mutate: (i) => delete i.autoCreateSubnetworks,
        message: /true when unset/,
      },
    ],
  },
  {
    policy: workstationEgress,
    breaks: [
      {
        title: "the workstation egress deny-all is disabled",
        resource: "ws-standard",
        mutate: (_i, plan) =>
          (plan.resources.find((r) => r.name === "ws-deny-egress")!.inputs.disabled = true),
        message: /has no EGRESS rule denying all protocols to 0\.0\.0\.0\/0: its egress is open/,
      },
      {
        title: "the deny-all covers only part of the internet",
        resource: "ws-standard",
        mutate: (_i, plan) =>
          (plan.resources.find((r) => r.name === "ws-deny-egress")!.inputs.destinationRanges = [
            "10.0.0.0/8",
          ]),
        message: /its egress is open/,
      },
      {
        title: "the deny-all is aimed at another account",
        resource: "ws-standard",
        mutate: (_i, plan) =>
          (plan.resources.find((r) => r.name === "ws-deny-egress")!.inputs.targetServiceAccounts = [
            "x@p.iam.gserviceaccount.com",
          ]),
        message: /its egress is open/,
      },
      {
        title: "an allow for the workstations opens the internet",
        resource: "ws-google-apis",
        mutate: (i) => (i.destinationRanges = ["199.36.153.8/30", "0.0.0.0/0"]),
        message: /opens 0\.0\.0\.0\/0: name its destinations instead/,
      },
    ],
    passes: [
      {
        title: "an allow for another account opens the internet",
        resource: "ws-google-apis",
        mutate: (i) => {
          i.destinationRanges = ["0.0.0.0/0"];
          i.targetServiceAccounts = ["gke-nodes@p.iam.gserviceaccount.com"];
        },
      },
    ],
  },
]);
