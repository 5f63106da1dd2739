/**
 * Kube protobuf request bodies → JSON: the envelope, the kinds kubectl creates (encoded here with the same
 * vendored .proto files, the way gogo-protobuf writes them) and the special types (Time, MicroTime,
 * IntOrString, bytes, RawExtension). The end-to-end check with real kubectl is in ../kubectl.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../errors.js";
import { request } from "../fixtures/helpers.js";
import { type KubeApiServer, startKubeApiServer } from "../index.js";
import { decodeProtobufBody, goDuration, PROTOBUF_MEDIA_TYPE, protoRoot } from "./decode.js";

const MAGIC = Buffer.from("k8s\0", "latin1");

/** What kubectl puts on the wire: magic + runtime.Unknown{typeMeta, raw}. */
function encode(apiVersion: string, kind: string, pkg: string, object: Record<string, unknown>): Buffer {
  const root = protoRoot();
  const type = root.lookupType(`${pkg}.${kind}`);
  const raw = type.encode(type.fromObject(object)).finish();
  const unknown = root.lookupType("k8s.io.apimachinery.pkg.runtime.Unknown");
  const envelope = unknown.encode(unknown.fromObject({ typeMeta: { apiVersion, kind }, raw })).finish();
  return Buffer.concat([MAGIC, envelope]);
}

/** gogo-protobuf writes every non-pointer ObjectMeta field, empty or not. */
function gogoMeta(name: string, namespace = ""): Record<string, unknown> {
  return {
    name,
    generateName: "",
    namespace,
    uid: "",
    resourceVersion: "",
    generation: 0,
    creationTimestamp: {},
  };
}

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected an ApiError");
}

describe("decodeProtobufBody", () => {
  it("decodes a Secret: bytes to base64, empty values kept in maps, gogo's empty fields dropped", () => {
    const body = encode("v1", "Secret", "k8s.io.api.core.v1", {
      metadata: gogoMeta("s", "acme"),
      data: { a: Buffer.from("b"), empty: Buffer.alloc(0) },
      type: "Opaque",
    });
    expect(decodeProtobufBody(body)).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "acme", generation: 0 },
      data: { a: "Yg==", empty: "" },
      type: "Opaque",
    });
  });

  it("decodes RBAC kinds, a ServiceAccount and a SelfSubjectAccessReview", () => {
    const role = encode("rbac.authorization.k8s.io/v1", "Role", "k8s.io.api.rbac.v1", {
      metadata: gogoMeta("reader", "acme"),
      rules: [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"], resourceNames: [] }],
    });
    expect(decodeProtobufBody(role)).toMatchObject({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      rules: [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }],
    });
    const binding = encode("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "k8s.io.api.rbac.v1", {
      metadata: gogoMeta("b"),
      subjects: [{ kind: "ServiceAccount", apiGroup: "", name: "op", namespace: "coditect-operator" }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "reader" },
    });
    expect(decodeProtobufBody(binding)).toMatchObject({
      subjects: [{ kind: "ServiceAccount", name: "op", namespace: "coditect-operator" }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "reader" },
    });
    const sa = encode("v1", "ServiceAccount", "k8s.io.api.core.v1", {
      metadata: gogoMeta("op", "coditect-operator"),
      automountServiceAccountToken: false,
    });
    expect(decodeProtobufBody(sa)).toMatchObject({
      kind: "ServiceAccount",
      automountServiceAccountToken: false,
    });
    const review = encode(
      "authorization.k8s.io/v1",
      "SelfSubjectAccessReview",
      "k8s.io.api.authorization.v1",
      {
        metadata: gogoMeta(""),
        spec: {
          resourceAttributes: { namespace: "acme", verb: "create", group: "", resource: "namespaces" },
        },
      },
    );
    expect(decodeProtobufBody(review)).toMatchObject({
      spec: { resourceAttributes: { namespace: "acme", verb: "create", resource: "namespaces" } },
    });
  });

  it("converts Time, MicroTime and IntOrString like Go's JSON encoding", () => {
    const lease = encode("coordination.k8s.io/v1", "Lease", "k8s.io.api.coordination.v1", {
      metadata: { ...gogoMeta("op", "coditect-operator"), creationTimestamp: { seconds: 1767225600 } },
      spec: {
        holderIdentity: "pod-1",
        leaseDurationSeconds: 15,
        renewTime: { seconds: 1767225601, nanos: 5_000 },
      },
    });
    expect(decodeProtobufBody(lease)).toMatchObject({
      metadata: { creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: { holderIdentity: "pod-1", leaseDurationSeconds: 15, renewTime: "2026-01-01T00:00:01.000005Z" },
    });
    const service = encode("v1", "Service", "k8s.io.api.core.v1", {
      metadata: gogoMeta("web", "acme"),
      spec: {
        ports: [
          { port: 80, targetPort: { type: 0, intVal: 8080, strVal: "" } },
          { port: 443, targetPort: { type: 1, intVal: 0, strVal: "https" } },
        ],
      },
    });
    expect(decodeProtobufBody(service)).toMatchObject({
      spec: {
        ports: [
          { port: 80, targetPort: 8080 },
          { port: 443, targetPort: "https" },
        ],
      },
    });
    expect([goDuration(0), goDuration(1.5e9), goDuration(3.6e12 + 2e9), goDuration(5e8)]).toEqual([
      "0s",
      "1.5s",
      "1h0m2s",
      "500ms",
    ]);
  });

  it("rejects a body without the magic prefix (400) and kinds it has no .proto for (415), naming them", () => {
    const noMagic = thrown(() => decodeProtobufBody(Buffer.from('{"kind":"Namespace"}')));
    expect(noMagic.code).toBe(400);
    expect(noMagic.message).toContain('does not start with kube\'s magic prefix "k8s\\x00" (got "{\\"ki")');
    const root = protoRoot();
    const unknown = root.lookupType("k8s.io.apimachinery.pkg.runtime.Unknown");
    const apps = Buffer.concat([
      MAGIC,
      unknown
        .encode(unknown.fromObject({ typeMeta: { apiVersion: "apps/v1", kind: "Deployment" } }))
        .finish(),
    ]);
    const unsupported = thrown(() => decodeProtobufBody(apps));
    expect(unsupported.code).toBe(415);
    expect(unsupported.message).toContain("cannot decode apps/v1 Deployment from protobuf");
  });
});

describe("protobuf bodies over HTTP", () => {
  let server: KubeApiServer;
  beforeAll(async () => {
    server = await startKubeApiServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("creates a ConfigMap from a protobuf body and answers JSON", async () => {
    const body = encode("v1", "ConfigMap", "k8s.io.api.core.v1", {
      metadata: gogoMeta("settings", "default"),
      data: { mode: "fast" },
    });
    const res = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, {
      method: "POST",
      headers: { "Content-Type": PROTOBUF_MEDIA_TYPE, Accept: `${PROTOBUF_MEDIA_TYPE},application/json` },
      body,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toMatchObject({
      kind: "ConfigMap",
      metadata: { name: "settings" },
      data: { mode: "fast" },
    });
    const stored = await request(server.url, "GET", "/api/v1/namespaces/default/configmaps/settings");
    expect(stored.body.metadata.generation).toBeUndefined();
    expect(stored.body.data).toEqual({ mode: "fast" });
  });

  it("still refuses CBOR with 415", async () => {
    const res = await request(server.url, "POST", "/api/v1/namespaces", "\xd9\xd9\xf7", {
      "Content-Type": "application/cbor",
    });
    expect(res.status).toBe(415);
    expect(res.body.message).toContain('(got "application/cbor")');
  });
});
