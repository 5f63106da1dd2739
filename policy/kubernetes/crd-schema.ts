/**
 * Validates custom resources against the CRDs that define them, with the same structural-schema code the
 * Kubernetes API test server uses (test-support/kube-apiserver/schema.ts: types, enums, required,
 * patterns, formats, bounds, list types and x-kubernetes-validations CEL rules), so "valid here" means
 * "the API server accepts it". Unknown fields count as errors, like `kubectl apply --validate=strict`.
 */
import { applySchema } from "../../test-support/kube-apiserver/schema.js";
import type { SchemaProps } from "../../test-support/kube-apiserver/types.js";

interface CrdVersion {
  name: string;
  served?: boolean;
  schema?: { openAPIV3Schema?: SchemaProps };
}

/** The part of a CustomResourceDefinition manifest the check reads. */
export interface CrdManifest {
  spec?: { group?: string; names?: { kind?: string }; versions?: CrdVersion[] };
}

/** Every problem with one custom resource; empty when the API server would accept it. */
export function customResourceProblems(
  manifest: Record<string, unknown>,
  crds: readonly CrdManifest[],
): string[] {
  const apiVersion = String(manifest.apiVersion ?? "");
  const kind = String(manifest.kind ?? "");
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion];
  const crd = crds.find((c) => c.spec?.group === group && c.spec?.names?.kind === kind);
  if (!crd) return [`no CustomResourceDefinition defines kind ${kind} in group ${group}.`];
  const served = crd.spec?.versions?.find((v) => v.name === version && v.served !== false);
  if (!served) return [`${kind} version ${version} is not served by its CustomResourceDefinition.`];
  const schema = served.schema?.openAPIV3Schema;
  if (!schema) return [`the CustomResourceDefinition for ${kind} ${version} has no openAPIV3Schema.`];
  const result = applySchema(manifest, schema, undefined);
  return [
    ...result.errors.map((error) => `${error.field}: ${error.message}`),
    ...result.unknownFields.map((field) => `unknown field "${field}"`),
  ];
}

/** The API groups the given CRDs define: custom resources in these groups must match a CRD. */
export function crdGroups(crds: readonly CrdManifest[]): Set<string> {
  return new Set(crds.flatMap((crd) => (crd.spec?.group ? [crd.spec.group] : [])));
}
