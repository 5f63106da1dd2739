/**
 * Kubernetes `Status` error bodies, worded like kube-apiserver so clients (kubectl, client-node, our operator)
 * see the same reasons, codes and messages they would see from a real cluster.
 * Part of the Kubernetes API test server (test infrastructure, not production code).
 */

/** One field problem, formatted like k8s.io/apimachinery/pkg/util/validation/field.Error. */
export interface FieldError {
  /** Cause reason, e.g. FieldValueRequired, FieldValueInvalid, FieldValueNotSupported. */
  reason: string;
  /** Field path in kube notation: `spec.tier`, `spec.items[0].name`, `metadata.labels`. */
  field: string;
  /** The message after `<field>: `, e.g. `Required value` or `Unsupported value: "x": supported values: …`. */
  message: string;
}

/** Resource identity used in error messages and Status details. */
export interface ErrorSubject {
  group: string;
  /** Plural resource name (`licenses`) for NotFound/Conflict/AlreadyExists. */
  resource: string;
  /** Kind (`License`) for Invalid. */
  kind: string;
  name: string;
}

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message: string;
  reason: string;
  details?: Record<string, unknown>;
  code: number;
}

/** Thrown anywhere in request handling; the HTTP layer turns it into a Status response. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: number,
    reason: string,
    message: string,
    details?: Record<string, unknown>,
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) body.details = this.details;
    return body;
  }
}

/** `licenses.coditect.ai` or `configmaps` (core group has no suffix). */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

function subjectDetails(s: ErrorSubject, useKind = false): Record<string, unknown> {
  return { name: s.name, group: s.group, kind: useKind ? s.kind : s.resource };
}

export function notFound(s: ErrorSubject): ApiError {
  return new ApiError(
    404,
    "NotFound",
    `${qualifiedResource(s.group, s.resource)} "${s.name}" not found`,
    subjectDetails(s),
  );
}

export function alreadyExists(s: ErrorSubject): ApiError {
  return new ApiError(
    409,
    "AlreadyExists",
    `${qualifiedResource(s.group, s.resource)} "${s.name}" already exists`,
    subjectDetails(s),
  );
}

export function conflict(s: ErrorSubject, why: string): ApiError {
  return new ApiError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${qualifiedResource(s.group, s.resource)} "${s.name}": ${why}`,
    subjectDetails(s),
  );
}

export const STALE_OBJECT =
  "the object has been modified; please apply your changes to the latest version and try again";

export function badRequest(message: string): ApiError {
  return new ApiError(400, "BadRequest", message);
}

export function forbidden(message: string, details?: Record<string, unknown>): ApiError {
  return new ApiError(403, "Forbidden", message, details);
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, "MethodNotAllowed", message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got "${contentType}")`,
  );
}

export function gone(message: string): ApiError {
  return new ApiError(410, "Expired", message);
}

export function notFoundPath(path: string): ApiError {
  return new ApiError(404, "NotFound", `the server could not find the requested resource (${path})`, {});
}

/** `Kind.group "name" is invalid: [a, b]` with one cause per field error (422 Invalid). */
export function invalid(s: ErrorSubject, errors: FieldError[]): ApiError {
  const rendered = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
  const joined = rendered.length === 1 ? rendered[0] : `[${rendered.join(", ")}]`;
  const qualifiedKind = s.group ? `${s.kind}.${s.group}` : s.kind;
  return new ApiError(422, "Invalid", `${qualifiedKind} "${s.name}" is invalid: ${joined}`, {
    ...subjectDetails(s, true),
    causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
  });
}

/** Go's %v-ish rendering of a JSON value inside `Invalid value: …` messages. */
export function renderValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value === null || value === undefined) return "null";
  return JSON.stringify(value);
}

export const fieldErrors = {
  required(field: string, detail = ""): FieldError {
    return {
      reason: "FieldValueRequired",
      field,
      message: detail ? `Required value: ${detail}` : "Required value",
    };
  },
  invalid(field: string, value: unknown, detail: string): FieldError {
    return { reason: "FieldValueInvalid", field, message: `Invalid value: ${renderValue(value)}: ${detail}` };
  },
  notSupported(field: string, value: unknown, allowed: unknown[]): FieldError {
    return {
      reason: "FieldValueNotSupported",
      field,
      message: `Unsupported value: ${renderValue(value)}: supported values: ${allowed.map(renderValue).join(", ")}`,
    };
  },
  forbidden(field: string, detail: string): FieldError {
    return { reason: "FieldValueForbidden", field, message: `Forbidden: ${detail}` };
  },
  tooLong(field: string, max: number): FieldError {
    return {
      reason: "FieldValueTooLong",
      field,
      message: `Too long: may not be more than ${max} ${max === 1 ? "byte" : "bytes"}`,
    };
  },
  tooMany(field: string, actual: number, max: number): FieldError {
    return {
      reason: "FieldValueTooMany",
      field,
      message: `Too many: ${actual}: must have at most ${max} items`,
    };
  },
  duplicate(field: string, value: unknown): FieldError {
    return { reason: "FieldValueDuplicate", field, message: `Duplicate value: ${renderValue(value)}` };
  },
};
