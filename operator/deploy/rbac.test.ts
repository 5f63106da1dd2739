/**
 * The shipped RBAC grants exactly what the operator does (the table below is the list of API calls the
 * code makes) and nothing dangerous: no wildcards, no secrets, no pods, no RBAC escalation verbs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  subjects?: { kind: string; name: string; namespace: string }[];
  roleRef?: { kind: string; name: string };
}

const docs = parseAllDocuments(readFileSync(join(import.meta.dirname, "rbac.yaml"), "utf8")).map(
  (d) => d.toJS() as Doc,
);
const clusterRules = docs.find((d) => d.kind === "ClusterRole")!.rules!;
const leaseRules = docs.find((d) => d.kind === "Role")!.rules!;

function allows(rules: Rule[], group: string, resource: string, verb: string, name?: string): boolean {
  return rules.some(
    (r) =>
      r.apiGroups.includes(group) &&
      r.resources.includes(resource) &&
      r.verbs.includes(verb) &&
      (!r.resourceNames || (name !== undefined && r.resourceNames.includes(name))),
  );
}

/**
 * Every Kubernetes API call the operator makes (operator/runtime/*, operator/workstation/reconciler.ts,
 * operator/containersession/*).
 */
const NEEDED: [string, string, string][] = [
  ["coditect.ai", "licenses", "list"],
  ["coditect.ai", "licenses", "watch"],
  ["coditect.ai", "workstations", "list"],
  ["coditect.ai", "workstations", "watch"],
  ["coditect.ai", "workstations", "patch"], // finalizers
  ["coditect.ai", "workstations/status", "patch"],
  ["coditect.ai", "licenses/status", "patch"], // activeSessions
  ["coditect.ai", "containersessions", "list"],
  ["coditect.ai", "containersessions", "watch"],
  ["coditect.ai", "containersessions", "patch"], // audit-ref annotation
  ["coditect.ai", "containersessions", "delete"], // 24 h after the session ended
  ["coditect.ai", "containersessions/status", "patch"],
  ["", "events", "create"],
];

describe("operator RBAC", () => {
  it("grants every call the operator makes", () => {
    for (const [group, resource, verb] of NEEDED) {
      expect(allows(clusterRules, group, resource, verb), `${verb} ${group}/${resource}`).toBe(true);
    }
    expect(allows(leaseRules, "coordination.k8s.io", "leases", "create")).toBe(true);
    expect(allows(leaseRules, "coordination.k8s.io", "leases", "get", "coditect-operator")).toBe(true);
    expect(allows(leaseRules, "coordination.k8s.io", "leases", "update", "coditect-operator")).toBe(true);
    expect(allows(leaseRules, "coordination.k8s.io", "leases", "update", "someone-elses-lease")).toBe(false);
  });

  it("grants nothing dangerous", () => {
    for (const rule of [...clusterRules, ...leaseRules]) {
      for (const field of [rule.apiGroups, rule.resources, rule.verbs]) expect(field).not.toContain("*");
      expect(rule.resources).not.toContain("secrets");
      expect(rule.resources).not.toContain("pods");
      for (const verb of ["bind", "escalate", "impersonate", "deletecollection"]) {
        expect(rule.verbs).not.toContain(verb);
      }
      // The only deletion the operator performs is of ended ContainerSessions.
      if (rule.verbs.includes("delete")) expect(rule.resources).toEqual(["containersessions"]);
    }
    // Billing owns License specs (and its label is what makes the operator act on one: contract C6).
    for (const verb of ["create", "update", "patch", "delete", "deletecollection"]) {
      expect(allows(clusterRules, "coditect.ai", "licenses", verb), verb).toBe(false);
    }
    expect(allows(clusterRules, "coditect.ai", "workstations", "update")).toBe(false);
  });

  it("binds both roles to the operator's service account", () => {
    const sa = docs.find((d) => d.kind === "ServiceAccount")!;
    for (const binding of docs.filter((d) => d.kind.endsWith("Binding"))) {
      expect(binding.subjects).toEqual([
        { kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace },
      ]);
    }
    expect(docs.find((d) => d.kind === "Role")?.metadata.namespace).toBe(sa.metadata.namespace);
  });
});
