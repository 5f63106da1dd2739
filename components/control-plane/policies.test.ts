import { describe, expect, it } from "vitest";
import { databaseUrl, secretProviderEntries } from "./billing.js";
import { billingPolicy, defaultDenyAll, operatorPolicy, PRIVATE_RANGES } from "./network-policies.js";
import { tierConfigsEnv } from "./operator.js";
import {
  assertPinnedByDigest,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "./pod-security.js";
import {
  assertLeastPrivilege,
  BILLING_CLUSTER_RULES,
  loadOperatorRules,
  operatorRulesFromManifest,
  type PolicyRule,
} from "./rbac.js";

const operatorRules = loadOperatorRules();

describe("RBAC rules", () => {
  it.each([
    ["operator (operator/deploy/rbac.yaml)", operatorRules.cluster],
    ["operator leases", operatorRules.namespace],
    ["billing", BILLING_CLUSTER_RULES],
  ])("%s rules pass the least-privilege guard", (role, rules) => {
    expect(() => assertLeastPrivilege(rules, role)).not.toThrow();
  });

  it.each<[string, PolicyRule, RegExp]>([
    ["wildcard verb", { apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }, /wildcard in verbs/],
    ["wildcard resource", { apiGroups: ["apps"], resources: ["*"], verbs: ["get"] }, /wildcard in resources/],
    ["secrets", { apiGroups: [""], resources: ["secrets"], verbs: ["get"] }, /grants access to secrets/],
    ["pod creation", { apiGroups: [""], resources: ["pods"], verbs: ["create"] }, /grants access to pods/],
    [
      "escalation",
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["bind"] },
      /grants bind/,
    ],
  ])("the guard rejects %s", (_what, rule, message) => {
    expect(() => assertLeastPrivilege([rule], "r")).toThrow(message);
  });

  it("lets only billing create custom resources and namespaces", () => {
    const creates = (rules: PolicyRule[]) =>
      rules.filter((r) => r.verbs.includes("create")).flatMap((r) => r.resources);
    expect(creates(operatorRules.cluster)).toEqual(["events"]);
    expect(creates(BILLING_CLUSTER_RULES).sort()).toEqual([
      "containersessions",
      "licenses",
      "namespaces",
      "workstations",
    ]);
  });
});

describe("operator rules from its manifest", () => {
  const manifest = (docs: string[]) => docs.join("\n---\n");
  const clusterRole =
    "kind: ClusterRole\nrules:\n  - apiGroups: [coditect.ai]\n    resources: [licenses]\n    verbs: [get]";
  const role =
    "kind: Role\nrules:\n  - apiGroups: [coordination.k8s.io]\n    resources: [leases]\n    verbs: [create]";

  it("takes the ClusterRole and the Role rules", () => {
    expect(operatorRulesFromManifest(manifest(["kind: Namespace", clusterRole, role]), "m.yaml")).toEqual({
      cluster: [{ apiGroups: ["coditect.ai"], resources: ["licenses"], verbs: ["get"] }],
      namespace: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] }],
    });
  });

  it("names the file when a role is missing or duplicated", () => {
    expect(() => operatorRulesFromManifest(manifest([clusterRole]), "m.yaml")).toThrow(
      /m\.yaml must contain exactly one Role with rules \(found 0\)/,
    );
    expect(() => operatorRulesFromManifest(manifest([clusterRole, clusterRole, role]), "m.yaml")).toThrow(
      /exactly one ClusterRole/,
    );
    expect(() => loadOperatorRules("/nonexistent/rbac.yaml")).toThrow(
      /RBAC manifest \/nonexistent\/rbac\.yaml is missing/,
    );
  });
});

describe("pod hardening", () => {
  it("follows the restricted Pod Security Standard", () => {
    expect(restrictedPodSecurityContext()).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(restrictedContainerSecurityContext()).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("accepts only digest-pinned images", () => {
    const pinned = `r/p/i@sha256:${"0".repeat(64)}`;
    expect(assertPinnedByDigest(pinned, "billing")).toBe(pinned);
    expect(() => assertPinnedByDigest("r/p/i:1.0", "billing")).toThrow(
      /billing image must be pinned by digest/,
    );
  });
});

describe("network policies", () => {
  it("default-deny selects every pod in both directions", () => {
    expect(defaultDenyAll()).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("opens the internet only on 443 and never to private ranges", () => {
    const spec = operatorPolicy({ app: "op" }, "172.16.0.0/28", 8081);
    const internet = spec.egress!.find((e) => JSON.stringify(e).includes("0.0.0.0/0"))!;
    expect(internet.to[0]!.ipBlock!.except).toEqual(PRIVATE_RANGES);
    expect(internet.ports).toEqual([{ protocol: "TCP", port: 443 }]);
  });

  it("lets billing reach only its database on 5432 and receive only on its port", () => {
    const spec = billingPolicy({ app: "billing" }, "172.16.0.0/28", 8080, "10.60.0.3", ["35.191.0.0/16"]);
    const db = spec.egress!.filter((e) => JSON.stringify(e).includes("5432"));
    expect(db).toEqual([
      { to: [{ ipBlock: { cidr: "10.60.0.3/32" } }], ports: [{ protocol: "TCP", port: 5432 }] },
    ]);
    expect(
      spec.ingress!.every(
        (rule) => JSON.stringify(rule.ports) === JSON.stringify([{ protocol: "TCP", port: 8080 }]),
      ),
    ).toBe(true);
  });
});

describe("workload wiring", () => {
  it("formats tier configs the way operator/config.ts parses them", () => {
    expect(
      tierConfigsEnv({ standard: "coditect-standard", power: "coditect-power", ai: "coditect-ai" }),
    ).toBe("standard=coditect-standard,power=coditect-power,ai=coditect-ai");
  });

  it("builds a password-less database URL that verifies the server CA", () => {
    expect(databaseUrl("10.0.0.3", "billing", "billing")).toBe(
      "postgres://billing@10.0.0.3:5432/billing?uselibpqcompat=true&sslmode=verify-ca&sslrootcert=/etc/coditect/cloudsql/server-ca.pem",
    );
  });

  it("mounts the latest version of each secret as one file", () => {
    expect(secretProviderEntries({ "stripe-secret-key": "projects/p/secrets/stripe-secret-key" })).toBe(
      '- resourceName: "projects/p/secrets/stripe-secret-key/versions/latest"\n  path: "stripe-secret-key"',
    );
  });
});
