/**
 * CrossGuard pack entry for the Pulumi CLI: `pulumi preview --policy-pack policy
 * [--policy-pack-config policy/config.json]`. Constructing PolicyPack starts the analyzer gRPC server,
 * so nothing but the Pulumi CLI may import this module (tests and the offline CLI use policies.ts).
 */
import { readFileSync } from "node:fs";
import { PolicyPack, type PolicyPackConfig } from "@pulumi/policy";
import { allPolicies } from "./policies.js";

// policy/config.json is the same file the offline CLI reads, so both runs enforce the same levels.
const initialConfig = JSON.parse(
  readFileSync(new URL("./config.json", import.meta.url), "utf8"),
) as PolicyPackConfig;

new PolicyPack(
  "coditect-control-plane",
  {
    description: "CODITECT control plane: GCP and Kubernetes policies (docs/policy.md).",
    enforcementLevel: "advisory",
    policies: [...allPolicies],
  },
  initialConfig,
);
