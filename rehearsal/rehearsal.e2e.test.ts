/**
 * `npm run rehearse` as a test: the prod stack as rendered passes the whole rehearsal, and removing a single
 * rule from the rendered operator or billing RBAC makes it fail with the Forbidden request that rule allowed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../stacks/plan/stack-file.js";
import { renderForRehearsal } from "./plan.js";
import type { KubeManifest, RenderedStack } from "./render.js";
import { rehearse } from "./run.js";

let rendered: RenderedStack;
beforeAll(async () => {
  ({ rendered } = await renderForRehearsal("prod"));
}, 60_000);

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** A copy of the rendered stack with `verb` taken out of the rule of `role` that grants it on `resource`. */
function withoutVerb(kind: string, role: string, resource: string, verb: string): RenderedStack {
  const copy = structuredClone(rendered);
  const target = copy.rbac.find((m) => m.kind === kind && m.metadata.name === role) as KubeManifest & {
    rules: Rule[];
  };
  const rule = target.rules.find((r) => r.resources.includes(resource) && r.verbs.includes(verb));
  if (!rule) throw new Error(`${kind} ${role} has no rule granting ${verb} on ${resource}`);
  rule.verbs = rule.verbs.filter((v) => v !== verb);
  // A rule left without verbs is no rule (the API refuses an empty verb list).
  target.rules = target.rules.filter((r) => r.verbs.length > 0);
  return copy;
}

describe("the rehearsal of the prod stack", () => {
  it("passes: render, apply with RBAC, start as rendered, probes, journey, env and RBAC checks", async () => {
    const lines: string[] = [];
    const result = await rehearse(structuredClone(rendered), { root: REPO_ROOT, log: (l) => lines.push(l) });
    expect(result.failures, lines.join("\n")).toEqual([]);
    expect(result.incomplete).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.steps.map((s) => s.name)).toContain(
      "journey: checkout → webhook → License → Workstation Ready → session → revoke",
    );
    // The differences from the rendered manifests were printed before anything started.
    expect(lines.join("\n")).toMatch(/Differences from the rendered manifests[\s\S]*DATABASE_URL/);
  }, 240_000);
});

describe("removing one RBAC rule fails the rehearsal with the Forbidden request it allowed", () => {
  it.each([
    [
      "ClusterRole",
      "coditect-operator",
      "workstations/status",
      "patch",
      /system:serviceaccount:coditect-operator:operator cannot patch workstations\/status in API group "coditect.ai"/,
    ],
    [
      "ClusterRole",
      "coditect-billing",
      "licenses",
      "create",
      /system:serviceaccount:coditect-billing:billing cannot create licenses in API group "coditect.ai"/,
    ],
    [
      "Role",
      "coditect-operator-leases",
      "leases",
      "create",
      /system:serviceaccount:coditect-operator:operator cannot create leases in API group "coditect.ai"|system:serviceaccount:coditect-operator:operator cannot create leases in API group "coordination.k8s.io" in namespace "coditect-operator"/,
    ],
  ] as const)(
    "%s %s without %s %s",
    async (kind, role, resource, verb, expected) => {
      const result = await rehearse(
        withoutVerb(kind, role, resource.split("/")[0] === resource ? resource : resource, verb),
        {
          root: REPO_ROOT,
          staticChecks: false,
        },
      );
      expect(result.ok).toBe(false);
      expect(result.failures.join("\n")).toMatch(expected);
    },
    240_000,
  );
});
