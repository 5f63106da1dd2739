/**
 * Shapes shared by the Kubernetes API test server's modules (test infrastructure).
 * Objects are plain JSON; the store treats stored objects as immutable and replaces them on every write.
 */

import type { KubeObject as LibKubeObject, ObjectMeta as LibObjectMeta } from "../../lib/kube/objects.js";
import type { FieldError } from "./errors.js";

export type JsonObject = { [key: string]: unknown };

/**
 * The control plane's one ObjectMeta / KubeObject (lib/kube/objects.ts), open to any other field: the server
 * stores whatever JSON a client sends and must not drop fields it does not model.
 */
export interface ObjectMeta extends LibObjectMeta {
  [key: string]: unknown;
}

export interface KubeObject extends LibKubeObject {
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A CRD `additionalPrinterColumns` entry (also used for the built-in kinds' columns). */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
  /** Built-in kinds compute some cells (e.g. a ConfigMap's DATA count) instead of reading a JSONPath. */
  compute?: (obj: KubeObject) => unknown;
}

/** The subset of a CRD's openAPIV3Schema (JSONSchemaProps) the validator understands. */
export interface SchemaProps {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, SchemaProps>;
  additionalProperties?: SchemaProps | boolean;
  items?: SchemaProps;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  default?: unknown;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-validations"?: ValidationRule[];
  [key: string]: unknown;
}

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/**
 * Validates (and defaults/prunes) an object of a kind. Returns the object to store (possibly pruned), field
 * errors (→ 422) and the paths of unknown fields that were pruned (→ warning or strict 400). `old` is set on
 * updates so transition rules can compare.
 */
export type ObjectValidator = (
  obj: KubeObject,
  old: KubeObject | undefined,
) => { object: KubeObject; errors: FieldError[]; unknownFields: string[] };

export type FieldValidationMode = "Ignore" | "Warn" | "Strict";

/** One served resource: a (group, version, plural) triple and everything needed to serve it. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Storage key shared by all versions of one resource: `<group>/<plural>`. */
  storageKey: string;
  hasStatusSubresource: boolean;
  /** Custom resources track metadata.generation; most built-in kinds here do not. */
  tracksGeneration: boolean;
  printerColumns: PrinterColumn[];
  /** Extra fieldSelector labels beyond metadata.name / metadata.namespace, with how to read them. */
  selectableFields: Record<string, (obj: KubeObject) => string>;
  validate?: ObjectValidator;
  /** openAPIV3Schema for CRDs (used by /openapi/v3); undefined for built-ins. */
  schema?: SchemaProps;
  /** Kind-specific defaulting on create (e.g. Namespace gets spec.finalizers and status.phase). */
  prepareForCreate?: (obj: KubeObject) => void;
  /** Kind-specific normalisation on every write (e.g. Secret stringData → data, CRD status). */
  prepareForWrite?: (obj: KubeObject, old: KubeObject | undefined) => void;
  /** Names must be DNS-1123 labels (namespaces) rather than subdomains. */
  nameIsLabel?: boolean;
  /** Kind-specific name rule instead of the DNS-1123 checks (RBAC names are path segments: `system:x`). */
  validateName?: (name: string) => FieldError[];
}

export function apiVersionOf(rt: Pick<ResourceType, "group" | "version">): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}
