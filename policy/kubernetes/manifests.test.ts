import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kubernetesKind, loadManifestResources, manifestOf, typeToken } from "./manifests.js";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "policy-manifests-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("Kubernetes manifests as plan resources", () => {
  it("maps type tokens and apiVersion/kind both ways, core group included", () => {
    expect(kubernetesKind("kubernetes:apps/v1:Deployment")).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
    });
    expect(kubernetesKind("kubernetes:core/v1:Pod")).toEqual({ apiVersion: "v1", kind: "Pod" });
    expect(kubernetesKind("kubernetes:rbac.authorization.k8s.io/v1:Role")).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
    });
    expect(kubernetesKind("gcp:kms/cryptoKey:CryptoKey")).toBeUndefined();
    expect(typeToken("v1", "Pod")).toBe("kubernetes:core/v1:Pod");
    expect(typeToken("coditect.ai/v1alpha1", "License")).toBe("kubernetes:coditect.ai/v1alpha1:License");
  });

  it("restores apiVersion/kind from the type token for plan inputs", () => {
    expect(
      manifestOf({ type: "kubernetes:core/v1:Namespace", props: { metadata: { name: "acme" } } }),
    ).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "acme" },
    });
  });

  it("reads every document of every YAML file under a directory, recursively and in order", () => {
    const root = tree({
      "deploy/a.yaml":
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: op, namespace: sys}\n---\n# empty\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: sys}\n",
      "deploy/nested/b.yml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n",
      "deploy/notes.txt": "not yaml",
    });
    const resources = loadManifestResources([join(root, "deploy"), join(root, "missing")], root);
    expect(resources.map((r) => [r.urn, r.type, r.name])).toEqual([
      ["file:deploy/a.yaml#ServiceAccount/sys/op", "kubernetes:core/v1:ServiceAccount", "op"],
      ["file:deploy/a.yaml#Namespace/sys", "kubernetes:core/v1:Namespace", "sys"],
      ["file:deploy/nested/b.yml#Deployment/web", "kubernetes:apps/v1:Deployment", "web"],
    ]);
  });

  it("names the file and document of invalid YAML or a manifest without apiVersion/kind", () => {
    const broken = tree({ "x.yaml": "apiVersion: v1\nkind: Pod\n---\nmetadata: [unclosed\n" });
    expect(() => loadManifestResources([join(broken, "x.yaml")], broken)).toThrow(
      /^x.yaml document 2 is not valid YAML/,
    );
    const kindless = tree({ "y.yaml": "metadata: {name: a}\n" });
    expect(() => loadManifestResources([join(kindless, "y.yaml")], kindless)).toThrow(
      "y.yaml document 1 has no apiVersion/kind",
    );
  });
});
