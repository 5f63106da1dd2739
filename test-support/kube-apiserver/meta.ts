/**
 * ObjectMeta rules shared by every kind: name formats, generateName, label/annotation shapes, and the
 * server-owned fields (uid, creationTimestamp, resourceVersion, generation, deletionTimestamp).
 */
import { randomInt } from "node:crypto";
import { type FieldError, fieldErrors } from "./errors.js";
import type { KubeObject, ObjectMeta } from "./types.js";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** RFC 3339 with second precision, as kube writes timestamps. */
export function kubeTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** kube's SimpleNameGenerator: prefix (trimmed to fit) + 5 random characters. */
export function generateName(prefix: string): string {
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[randomInt(GENERATE_ALPHABET.length)];
  return prefix.slice(0, 58) + suffix;
}

export function validateName(name: string, asLabel: boolean): FieldError[] {
  if (asLabel) {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) {
      return [
        fieldErrors.invalid(
          "metadata.name",
          name,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
      ];
    }
    return [];
  }
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [
      fieldErrors.invalid(
        "metadata.name",
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    ];
  }
  return [];
}

/** Shape checks kube applies to every object's metadata (labels, annotations, finalizers). */
export function validateMetadata(meta: ObjectMeta): FieldError[] {
  const errors: FieldError[] = [];
  const labels = meta.labels;
  if (labels !== undefined && (labels === null || typeof labels !== "object" || Array.isArray(labels))) {
    errors.push(
      fieldErrors.invalid("metadata.labels", labels, "must be a map of string keys to string values"),
    );
  } else {
    for (const [key, value] of Object.entries(labels ?? {})) {
      if (!QUALIFIED_NAME.test(key)) {
        errors.push(
          fieldErrors.invalid(
            "metadata.labels",
            key,
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
          ),
        );
      }
      if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
        errors.push(
          fieldErrors.invalid(
            `metadata.labels`,
            value,
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
          ),
        );
      }
    }
  }
  for (const [key, value] of Object.entries(meta.annotations ?? {})) {
    if (typeof value !== "string")
      errors.push(fieldErrors.invalid(`metadata.annotations[${key}]`, value, "must be a string"));
  }
  if (
    meta.finalizers !== undefined &&
    (!Array.isArray(meta.finalizers) || meta.finalizers.some((f) => typeof f !== "string"))
  ) {
    errors.push(fieldErrors.invalid("metadata.finalizers", meta.finalizers, "must be a list of strings"));
  }
  return errors;
}

/** JSON with object keys sorted, so equal content compares equal whatever order a client sent keys in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Everything except metadata (and status, when it is a subresource): what a `generation` bump tracks. */
export function specFingerprint(obj: KubeObject, excludeStatus: boolean): string {
  const { metadata: _m, status, apiVersion: _a, kind: _k, ...rest } = obj;
  return canonicalJson(excludeStatus ? rest : { ...rest, status });
}

/** Compares two objects ignoring resourceVersion/managedFields: decides whether an update is a no-op. */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
    return canonicalJson({ ...o, apiVersion: undefined, metadata: meta });
  };
  return strip(a) === strip(b);
}
