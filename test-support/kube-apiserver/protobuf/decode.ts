/**
 * Decodes `application/vnd.kubernetes.protobuf` request bodies into the JSON the rest of the API test server
 * handles. kubectl 1.32 sends built-in kinds this way on create (`kubectl create namespace|configmap|secret|
 * serviceaccount|role|rolebinding|token`, `kubectl auth can-i`). The wire format is kube's: the 4-byte magic
 * `k8s\0`, then a `runtime.Unknown` {typeMeta, raw, contentEncoding, contentType} whose `raw` is the object
 * encoded with the message named after its kind, from the upstream generated.proto files vendored next to
 * this module (see ADR 0014).
 *
 * The conversion to JSON follows the Go types' JSON marshalling: meta/v1 Time → RFC 3339 (seconds),
 * MicroTime → RFC 3339 with microseconds, IntOrString → number or string, Quantity → string, bytes → base64,
 * RawExtension/FieldsV1 → the JSON they carry. gogo-protobuf writes every non-pointer field, so empty
 * strings and zero times (which Go's JSON omits) are dropped here; numbers and booleans are kept as sent.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { ApiError, badRequest } from "../errors.js";

/** The media type kubectl sends; the server accepts it for every kind listed in PACKAGES. */
export const PROTOBUF_MEDIA_TYPE = "application/vnd.kubernetes.protobuf";

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const HERE = dirname(fileURLToPath(import.meta.url));

/** apiVersion group → proto package (only the groups whose .proto files are vendored here). */
const PACKAGES: Record<string, string> = {
  "": "k8s.io.api.core.v1",
  "rbac.authorization.k8s.io": "k8s.io.api.rbac.v1",
  "coordination.k8s.io": "k8s.io.api.coordination.v1",
  "authorization.k8s.io": "k8s.io.api.authorization.v1",
  "authentication.k8s.io": "k8s.io.api.authentication.v1",
  "meta.k8s.io": "k8s.io.apimachinery.pkg.apis.meta.v1",
};

const FILES = [
  "k8s.io/api/core/v1/generated.proto",
  "k8s.io/api/rbac/v1/generated.proto",
  "k8s.io/api/coordination/v1/generated.proto",
  "k8s.io/api/authorization/v1/generated.proto",
  "k8s.io/api/authentication/v1/generated.proto",
];

const META = ".k8s.io.apimachinery.pkg.apis.meta.v1";

let root: protobuf.Root | undefined;

/** Parses the vendored .proto files once, on the first protobuf body (core/v1 alone is ~300 KB). */
export function protoRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  // Imports are written as "k8s.io/apimachinery/…"; they all live under this directory.
  r.resolvePath = (_origin, target) => (target.startsWith("/") ? target : join(HERE, target));
  r.loadSync(FILES, { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

export function isProtobufMediaType(contentType: string): boolean {
  return contentType.split(";")[0]!.trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

function unsupported(message: string): ApiError {
  return new ApiError(415, "UnsupportedMediaType", message);
}

/** Decodes one protobuf request body (magic + runtime.Unknown) to the object's JSON form. */
export function decodeProtobufBody(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest(
      `the protobuf request body does not start with kube's magic prefix "k8s\\x00" (got ${JSON.stringify(body.subarray(0, 4).toString("latin1"))})`,
    );
  }
  const r = protoRoot();
  const unknownType = r.lookupType("k8s.io.apimachinery.pkg.runtime.Unknown");
  let envelope: protobuf.Message & Record<string, unknown>;
  try {
    envelope = unknownType.decode(body.subarray(MAGIC.length)) as typeof envelope;
  } catch (error) {
    throw badRequest(`the protobuf request body is not a runtime.Unknown: ${(error as Error).message}`);
  }
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = typeMeta.apiVersion ?? "";
  const kind = typeMeta.kind ?? "";
  if (envelope.contentEncoding) {
    throw unsupported(
      `protobuf bodies with contentEncoding ${JSON.stringify(envelope.contentEncoding)} are not supported by this test server`,
    );
  }
  if (!apiVersion || !kind)
    throw badRequest("the protobuf request body has no apiVersion/kind in its typeMeta");
  const slash = apiVersion.lastIndexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const pkg = PACKAGES[group];
  const type = pkg ? (r.lookup(`${pkg}.${kind}`) as protobuf.Type | null) : null;
  if (!(type instanceof protobuf.Type)) {
    throw unsupported(
      `this test server cannot decode ${apiVersion} ${kind} from protobuf (it knows groups: ${Object.keys(
        PACKAGES,
      )
        .map((g) => g || "core")
        .join(", ")}); send it as application/json`,
    );
  }
  let message: protobuf.Message;
  try {
    message = type.decode((envelope.raw as Uint8Array | undefined) ?? new Uint8Array());
  } catch (error) {
    throw badRequest(`the protobuf body of ${apiVersion} ${kind} is malformed: ${(error as Error).message}`);
  }
  return { apiVersion, kind, ...messageToJson(type, message as unknown as Record<string, unknown>) };
}

/** One message to its Go-JSON form, walking the reflected type. */
function messageToJson(type: protobuf.Type, message: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    if (field.map) {
      const entries = Object.entries((value ?? {}) as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[field.name] = Object.fromEntries(entries.map(([k, v]) => [k, valueToJson(field, v)]));
    } else if (field.repeated) {
      const items = (value ?? []) as unknown[];
      if (items.length === 0) continue;
      out[field.name] = items.map((v) => valueToJson(field, v));
    } else {
      if (!Object.hasOwn(message, field.name)) continue;
      const converted = valueToJson(field, value);
      if (converted === undefined || converted === "") continue;
      out[field.name] = converted;
    }
  }
  return out;
}

function valueToJson(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    const msg = value as Record<string, unknown>;
    switch (resolved.fullName) {
      case `${META}.Time`:
        return timeToJson(msg, false);
      case `${META}.MicroTime`:
        return timeToJson(msg, true);
      case `${META}.Duration`:
        return goDuration(toNumber(msg.duration ?? 0));
      case `${META}.FieldsV1`:
      case ".k8s.io.apimachinery.pkg.runtime.RawExtension":
        return rawJson(msg.raw as Uint8Array | undefined, resolved.fullName);
      case ".k8s.io.apimachinery.pkg.util.intstr.IntOrString":
        return toNumber(msg.type ?? 0) === 1 ? (msg.strVal ?? "") : toNumber(msg.intVal ?? 0);
      case ".k8s.io.apimachinery.pkg.api.resource.Quantity":
        return msg.string ?? "";
      default:
        return messageToJson(resolved, msg);
    }
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (typeof value === "object" && value !== null) return toNumber(value);
  return value;
}

/** int64 fields decode to Long objects when the `long` package is installed. */
function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "object" && value !== null && "toNumber" in value) {
    return (value as { toNumber(): number }).toNumber();
  }
  return Number(value);
}

/** Go marshals a zero Time as nothing (gogo writes an empty message) and JSON omits/nulls it. */
function timeToJson(msg: Record<string, unknown>, micro: boolean): string | undefined {
  const seconds = toNumber(msg.seconds ?? 0);
  const nanos = toNumber(msg.nanos ?? 0);
  if (seconds === 0 && nanos === 0) return undefined;
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, "0")}Z` : `${iso}Z`;
}

function rawJson(raw: Uint8Array | undefined, typeName: string): unknown {
  if (!raw || raw.length === 0) return undefined;
  const text = Buffer.from(raw).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest(`a ${typeName.slice(1)} in the protobuf body does not hold JSON: ${text.slice(0, 80)}`);
  }
}

/** time.Duration.String(): "1h2m3.5s", "500ms", "0s". */
export function goDuration(nanos: number): string {
  if (nanos === 0) return "0s";
  const sign = nanos < 0 ? "-" : "";
  let n = Math.abs(nanos);
  if (n < 1e9) {
    if (n < 1e3) return `${sign}${n}ns`;
    if (n < 1e6) return `${sign}${n / 1e3}µs`;
    return `${sign}${n / 1e6}ms`;
  }
  const hours = Math.floor(n / 3.6e12);
  n -= hours * 3.6e12;
  const minutes = Math.floor(n / 6e10);
  n -= minutes * 6e10;
  const seconds = n / 1e9;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
