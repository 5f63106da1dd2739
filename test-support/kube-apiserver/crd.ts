/**
 * CustomResourceDefinitions for the API test server: the apiextensions.k8s.io/v1 resource itself (validated,
 * with its status — NamesAccepted, Established — filled in synchronously on every write) and the resource
 * types each served version of a CRD turns into.
 */
import { builtinResourceType } from "./builtin.js";
import { compileSchemaRules } from "./cel-rules.js";
import { type FieldError, fieldErrors } from "./errors.js";
import { applySchema } from "./schema.js";
import type { KubeObject, PrinterColumn, ResourceType, SchemaProps } from "./types.js";

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: SchemaProps };
  subresources?: { status?: Record<string, never>; scale?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
}

interface CrdSpec {
  group: string;
  scope: "Namespaced" | "Cluster";
  names: {
    plural: string;
    singular?: string;
    kind: string;
    listKind?: string;
    shortNames?: string[];
    categories?: string[];
  };
  versions: CrdVersion[];
}

function specOf(crd: KubeObject): CrdSpec {
  return crd.spec as CrdSpec;
}

/** Field errors for a CRD the real apiextensions-apiserver would reject (the subset that matters here). */
export function validateCrd(crd: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = crd.spec as Partial<CrdSpec> | undefined;
  if (!spec || typeof spec !== "object") return [fieldErrors.required("spec")];
  if (!spec.group) errors.push(fieldErrors.required("spec.group"));
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster") {
    errors.push(fieldErrors.notSupported("spec.scope", spec.scope ?? "", ["Cluster", "Namespaced"]));
  }
  if (!spec.names?.plural) errors.push(fieldErrors.required("spec.names.plural"));
  if (!spec.names?.kind) errors.push(fieldErrors.required("spec.names.kind"));
  if (spec.group && spec.names?.plural && crd.metadata.name !== `${spec.names.plural}.${spec.group}`) {
    errors.push(
      fieldErrors.invalid("metadata.name", crd.metadata.name, 'must be spec.names.plural+"."+spec.group'),
    );
  }
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0)
    errors.push(fieldErrors.required("spec.versions", "must have at least one version"));
  const storage = versions.filter((v) => v.storage).length;
  if (versions.length > 0 && storage !== 1) {
    errors.push(
      fieldErrors.invalid(
        "spec.versions",
        versions.map((v) => v.name),
        "must have exactly one version marked as storage version",
      ),
    );
  }
  versions.forEach((v, i) => {
    const path = `spec.versions[${i}].schema.openAPIV3Schema`;
    if (!v.schema?.openAPIV3Schema) {
      errors.push(fieldErrors.required(path, "schemas are required"));
      return;
    }
    for (const problem of compileSchemaRules(v.schema.openAPIV3Schema, path)) {
      errors.push({ reason: "FieldValueInvalid", field: path, message: problem });
    }
  });
  return errors;
}

/** Sets the status a real cluster's CRD controllers would converge to: names accepted, established. */
function setCrdStatus(crd: KubeObject): void {
  const spec = specOf(crd);
  const now = crd.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const acceptedNames = {
    plural: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    kind: spec.names.kind,
    listKind: spec.names.listKind ?? `${spec.names.kind}List`,
    ...(spec.names.shortNames ? { shortNames: spec.names.shortNames } : {}),
    ...(spec.names.categories ? { categories: spec.names.categories } : {}),
  };
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: "True",
    lastTransitionTime: now,
    reason,
    message,
  });
  const storageVersion = spec.versions.find((v) => v.storage)?.name;
  const previous = (crd.status as { storedVersions?: string[] } | undefined)?.storedVersions ?? [];
  crd.status = {
    conditions: [
      condition("NamesAccepted", "NoConflicts", "no conflicts found"),
      condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
    ],
    acceptedNames,
    storedVersions: [...new Set([...previous, ...(storageVersion ? [storageVersion] : [])])],
  };
}

/** The apiextensions.k8s.io/v1 customresourcedefinitions resource. */
export const crdResourceType: ResourceType = builtinResourceType({
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  singular: "customresourcedefinition",
  kind: "CustomResourceDefinition",
  namespaced: false,
  shortNames: ["crd", "crds"],
  categories: ["api-extensions"],
  hasStatusSubresource: true,
  tracksGeneration: true,
  printerColumns: [{ name: "Created At", type: "string", jsonPath: ".metadata.creationTimestamp" }],
  validate(obj) {
    return { object: obj, errors: validateCrd(obj), unknownFields: [] };
  },
  prepareForWrite(obj) {
    const spec = specOf(obj);
    if (spec?.names && Array.isArray(spec.versions)) setCrdStatus(obj);
  },
});

/** One ResourceType per served version of an (already validated) CRD; all share one storage key. */
export function resourceTypesForCrd(crd: KubeObject): ResourceType[] {
  const spec = specOf(crd);
  const storageKey = `${spec.group}/${spec.names.plural}`;
  return spec.versions
    .filter((v) => v.served)
    .map((v) => {
      const schema = v.schema?.openAPIV3Schema ?? {
        type: "object",
        "x-kubernetes-preserve-unknown-fields": true,
      };
      const columns = v.additionalPrinterColumns ?? [];
      return {
        group: spec.group,
        version: v.name,
        plural: spec.names.plural,
        singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
        kind: spec.names.kind,
        listKind: spec.names.listKind ?? `${spec.names.kind}List`,
        namespaced: spec.scope === "Namespaced",
        shortNames: spec.names.shortNames ?? [],
        categories: spec.names.categories ?? [],
        storageKey,
        hasStatusSubresource: v.subresources?.status !== undefined,
        tracksGeneration: true,
        // Without declared columns kube shows NAME and AGE.
        printerColumns:
          columns.length > 0
            ? columns
            : [{ name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }],
        selectableFields: {},
        schema,
        validate(obj, old) {
          const result = applySchema(obj, schema, old);
          return {
            object: result.value as KubeObject,
            errors: result.errors,
            unknownFields: result.unknownFields,
          };
        },
      } satisfies ResourceType;
    });
}
