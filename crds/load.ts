/**
 * Reads the CustomResourceDefinitions in this folder: the API contract that the stacks apply, the tests
 * register in the Kubernetes API test server, and the policy checks validate against.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const CRD_DIR = dirname(fileURLToPath(import.meta.url));

/** JSON-schema subset used by structural CRD schemas. */
export interface CrdSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, CrdSchema>;
  items?: CrdSchema;
  required?: string[];
  enum?: unknown[];
  nullable?: boolean;
  format?: string;
  pattern?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  "x-kubernetes-validations"?: { rule: string; message?: string }[];
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-preserve-unknown-fields"?: boolean;
}

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    scope: "Namespaced" | "Cluster";
    names: {
      plural: string;
      singular: string;
      kind: string;
      listKind: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: Record<string, never> };
      additionalPrinterColumns?: {
        name: string;
        type: string;
        jsonPath: string;
        description?: string;
        priority?: number;
      }[];
      schema: { openAPIV3Schema: CrdSchema };
    }[];
  };
}

/** Every CRD in crds/ (or `dir`), sorted by file name. */
export function loadCrds(dir: string = CRD_DIR): CustomResourceDefinition[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".yaml"))
    .sort()
    .map((file) => {
      const crd = parse(readFileSync(join(dir, file), "utf8")) as CustomResourceDefinition;
      if (crd?.kind !== "CustomResourceDefinition") {
        throw new Error(`${join(dir, file)} is not a CustomResourceDefinition (kind: ${String(crd?.kind)})`);
      }
      return crd;
    });
}

/** The storage version's schema of the CRD whose kind is `kind`. */
export function schemaFor(kind: string, crds: CustomResourceDefinition[] = loadCrds()): CrdSchema {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  const version = crd?.spec.versions.find((v) => v.storage);
  if (!version) throw new Error(`no CRD with kind ${kind} in ${CRD_DIR}`);
  return version.schema.openAPIV3Schema;
}
