import { beforeAll, describe, expect, it } from "vitest";
import { renderForRehearsal } from "./plan.js";
import { deploymentNamed, manifestNamed, type RenderedStack, secretProviderPaths } from "./render.js";

let rendered: RenderedStack;
beforeAll(async () => {
  ({ rendered } = await renderForRehearsal("prod"));
}, 60_000);

describe("renderStack on the prod stack", () => {
  it("takes the cluster side: CRDs, namespaces, ServiceAccounts, RBAC, ConfigMap, SecretProviderClass", () => {
    expect(rendered.crds.map((c) => c.metadata.name).sort()).toEqual([
      "containersessions.coditect.ai",
      "licenses.coditect.ai",
      "workstations.coditect.ai",
    ]);
    expect(rendered.namespaces.map((n) => n.metadata.name).sort()).toEqual([
      "coditect-billing",
      "coditect-operator",
    ]);
    expect(rendered.serviceAccounts.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).sort()).toEqual([
      "coditect-billing/billing",
      "coditect-operator/operator",
    ]);
    expect(new Set(rendered.rbac.map((r) => r.kind))).toEqual(
      new Set(["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]),
    );
    const spc = manifestNamed(
      rendered.secretProviderClasses,
      "SecretProviderClass",
      "billing-secrets",
      "coditect-billing",
    );
    expect(secretProviderPaths(spc).map((e) => e.path)).toContain("stripe-webhook-secret");
  });

  it("renders both Deployments with env (incl. fieldRef), volumes, service account, probes and user", () => {
    const operator = deploymentNamed(rendered, "operator").spec.template.spec;
    expect(operator.serviceAccountName).toBe("operator");
    expect(operator.containers[0]!.env).toContainEqual({
      name: "POD_NAME",
      valueFrom: { fieldRef: { fieldPath: "metadata.name" } },
    });
    expect(operator.containers[0]!.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: 8081 });
    const billing = deploymentNamed(rendered, "billing").spec.template.spec;
    expect(billing.securityContext?.runAsUser).toBe(65532);
    expect(billing.volumes?.map((v) => v.name)).toEqual(
      expect.arrayContaining(["secrets", "cloudsql-ca", "tmp"]),
    );
  });

  it("keeps the WorkstationConfigs' container env", () => {
    expect(Object.keys(rendered.workstationEnv).sort()).toEqual([
      "coditect-ai",
      "coditect-power",
      "coditect-standard",
    ]);
  });
});
