/**
 * Just enough of Kubernetes' protobuf encoding to read the two request bodies kubectl sends as protobuf to
 * the auth endpoints (`kubectl auth can-i` → SelfSubjectAccessReview, `kubectl auth can-i --list` →
 * SelfSubjectRulesReview, `kubectl create token` → TokenRequest): the `k8s\0` + runtime.Unknown envelope and the few fields of each message we use (field
 * numbers from k8s.io/api/{authorization,authentication}/v1/generated.proto).
 */
import protobuf from "protobufjs";
import { badRequest } from "../errors.js";

type Fields = Map<number, (Uint8Array | number)[]>;

function fields(bytes: Uint8Array): Fields {
  const reader = protobuf.Reader.create(bytes);
  const out: Fields = new Map();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    let value: Uint8Array | number;
    if (wire === 0) value = Number(reader.int64());
    else if (wire === 2) value = reader.bytes();
    else {
      reader.skipType(wire);
      continue;
    }
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const text = (f: Fields, n: number) => {
  const v = f.get(n)?.[0];
  return v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : undefined;
};
const texts = (f: Fields, n: number) =>
  (f.get(n) ?? [])
    .filter((v) => v instanceof Uint8Array)
    .map((v) => Buffer.from(v as Uint8Array).toString("utf8"));
const sub = (f: Fields, n: number) => {
  const v = f.get(n)?.[0];
  return v instanceof Uint8Array ? fields(v) : undefined;
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The raw object bytes inside the `k8s\0` envelope. */
function unwrap(body: Buffer): Uint8Array {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw badRequest("the protobuf body does not start with the Kubernetes envelope (k8s\\x00)");
  const raw = fields(body.subarray(4)).get(2)?.[0];
  if (!(raw instanceof Uint8Array)) throw badRequest("the protobuf envelope carries no object");
  return raw;
}

const compact = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ""));

export function decodeSelfSubjectAccessReview(body: Buffer): Record<string, unknown> {
  const review = fields(unwrap(body));
  const spec = sub(review, 2);
  const resource = spec && sub(spec, 1);
  const nonResource = spec && sub(spec, 2);
  return {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectAccessReview",
    metadata: {},
    spec: compact({
      resourceAttributes: resource
        ? compact({
            namespace: text(resource, 1),
            verb: text(resource, 2),
            group: text(resource, 3),
            version: text(resource, 4),
            resource: text(resource, 5),
            subresource: text(resource, 6),
            name: text(resource, 7),
          })
        : undefined,
      nonResourceAttributes: nonResource
        ? compact({ path: text(nonResource, 1), verb: text(nonResource, 2) })
        : undefined,
    }),
  };
}

export function decodeTokenRequest(body: Buffer): Record<string, unknown> {
  const request = fields(unwrap(body));
  const spec = sub(request, 2);
  const expiration = spec?.get(4)?.[0];
  return {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    metadata: {},
    spec: compact({
      audiences: spec && texts(spec, 1).length > 0 ? texts(spec, 1) : undefined,
      expirationSeconds: typeof expiration === "number" ? expiration : undefined,
    }),
  };
}

export function decodeSelfSubjectRulesReview(body: Buffer): Record<string, unknown> {
  const review = fields(unwrap(body));
  const spec = sub(review, 2);
  return {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SelfSubjectRulesReview",
    metadata: {},
    spec: compact({ namespace: spec ? text(spec, 1) : undefined }),
  };
}
