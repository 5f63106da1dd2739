import * as gcp from "@pulumi/gcp";
import { validateResourceOfType } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { EMPTY_CONFIG, type PolicyConfig } from "./config.js";
import { evaluate } from "./evaluate.js";
import type { Plan } from "./plan.js";
import { policy as hsm } from "./rules/gcp-kms-cryptokey-signing-hsm.js";
import { compliantPlan } from "./testing/compliant-plan.js";
import type { CoditectResourcePolicy, CoditectStackPolicy } from "./types.js";

const fields = {
  description: "test policy",
  enforcementLevel: "mandatory" as const,
  severity: "low" as const,
  remediationSteps: "Set `x`.",
  anchor: undefined,
};

function softwareSigningKey(): Plan {
  const plan = compliantPlan();
  const key = plan.resources.find((r) => r.name === "signing-key")!;
  (key.inputs.versionTemplate as Record<string, unknown>).protectionLevel = "SOFTWARE";
  return plan;
}

describe("evaluate", () => {
  it("reports a violation with the rule's metadata and blocks on a mandatory rule", async () => {
    const evaluation = await evaluate(softwareSigningKey(), [hsm], EMPTY_CONFIG);
    expect(evaluation.blocked).toBe(true);
    expect(evaluation.findings).toEqual([
      expect.objectContaining({
        policy: "gcp-kms-cryptokey-signing-hsm",
        enforcementLevel: "mandatory",
        severity: "high",
        resourceType: "gcp:kms/cryptoKey:CryptoKey",
        urn: expect.stringContaining("::signing-key"),
        remediation: hsm.remediationSteps,
      }),
    ]);
  });

  it("does not block when the rule is downgraded to advisory, and skips it when disabled", async () => {
    const advisory: PolicyConfig = { enforcement: { [hsm.name]: "advisory" }, settings: {} };
    const downgraded = await evaluate(softwareSigningKey(), [hsm], advisory);
    expect(downgraded.blocked).toBe(false);
    expect(downgraded.findings[0]?.enforcementLevel).toBe("advisory");

    const disabled: PolicyConfig = { enforcement: { [hsm.name]: "disabled" }, settings: {} };
    const skipped = await evaluate(softwareSigningKey(), [hsm], disabled);
    expect(skipped).toMatchObject({ findings: [], policiesRun: 0, blocked: false });
  });

  it("catches notApplicable() and calls untyped validations for every resource", async () => {
    const seen: string[] = [];
    const picky: CoditectResourcePolicy = {
      ...fields,
      name: "test-picky",
      validateResource: (args) => {
        seen.push(args.type);
        args.notApplicable("only interested in nothing");
      },
    };
    const plan = compliantPlan();
    const evaluation = await evaluate(plan, [picky], EMPTY_CONFIG);
    expect(evaluation.findings).toEqual([]);
    expect(seen).toHaveLength(plan.resources.length);
  });

  it("gives typed validations only resources of their type, with isType comparing __pulumiType", async () => {
    const seen: string[] = [];
    const typed: CoditectResourcePolicy = {
      ...fields,
      name: "test-typed",
      validateResource: validateResourceOfType(gcp.kms.CryptoKey, (_props, args) => {
        seen.push(args.name);
        expect(args.isType(gcp.kms.CryptoKey)).toBe(true);
        expect(args.isType(gcp.container.Cluster)).toBe(false);
      }),
    };
    await evaluate(compliantPlan(), [typed], EMPTY_CONFIG);
    expect(seen.sort()).toEqual(["artifact-cmek", "signing-key"]);
  });

  it("passes configSchema defaults, overlaid by configured settings, to getConfig", async () => {
    const configs: unknown[] = [];
    const configurable: CoditectResourcePolicy = {
      ...fields,
      name: "test-config",
      configSchema: {
        properties: { limit: { type: "integer", default: 3 }, mode: { type: "string", default: "a" } },
      },
      validateResource: validateResourceOfType(gcp.compute.Network, (_props, args) => {
        configs.push(args.getConfig());
      }),
    };
    await evaluate(compliantPlan(), [configurable], {
      enforcement: {},
      settings: { "test-config": { mode: "b" } },
    });
    expect(configs).toEqual([{ limit: 3, mode: "b" }]);
  });

  it("hands stack policies the resolved resource graph and attributes their violations by urn", async () => {
    const plan = compliantPlan();
    const pool = plan.resources.find((r) => r.name === "gke-pool")!;
    const cluster = plan.resources.find((r) => r.name === "gke")!;
    pool.parent = cluster.urn;
    pool.dependencies = [cluster.urn];
    const stack: CoditectStackPolicy = {
      ...fields,
      name: "test-stack",
      validateStack: (args, report) => {
        const node = args.resources.find((r) => r.name === "gke-pool")!;
        expect(node.parent?.name).toBe("gke");
        expect(node.dependencies.map((d) => d.name)).toEqual(["gke"]);
        report("pool blamed", node.urn);
        report("stack blamed");
      },
    };
    const { findings } = await evaluate(plan, [stack], EMPTY_CONFIG);
    expect(findings.map((f) => [f.message, f.urn, f.resourceType])).toEqual([
      ["pool blamed", pool.urn, "gcp:container/nodePool:NodePool"],
      ["stack blamed", undefined, undefined],
    ]);
  });

  it("fails loudly, naming the rule and resource, when a rule crashes", async () => {
    const broken: CoditectResourcePolicy = {
      ...fields,
      name: "test-broken",
      validateResource: validateResourceOfType(gcp.compute.Network, () => {
        throw new TypeError("cannot read properties of undefined");
      }),
    };
    await expect(evaluate(compliantPlan(), [broken], EMPTY_CONFIG)).rejects.toThrow(
      /policy test-broken crashed on urn:pulumi:test::coditect-control-plane::gcp:compute\/network:Network::vpc: cannot read/,
    );
  });

  it("tolerates resources registered with no inputs at all (mock defaults)", async () => {
    const { allPolicies } = await import("./policies.js");
    const plan = compliantPlan();
    for (const resource of plan.resources) resource.inputs = {};
    const evaluation = await evaluate(plan, allPolicies, EMPTY_CONFIG);
    expect(evaluation.findings.length).toBeGreaterThan(0);
    expect(evaluation.findings.every((f) => f.message.length > 0)).toBe(true);
  });
});
