/**
 * The built-in kinds the control plane uses, served by the API test server: namespaces, events, secrets,
 * configmaps (core/v1), leases (coordination.k8s.io/v1) and customresourcedefinitions
 * (apiextensions.k8s.io/v1, whose kind-specific logic lives in crd.ts), plus discovery-only stand-ins for the
 * other built-ins (builtin-discovery.ts). Built-ins are not schema-validated
 * beyond metadata and the few checks below — see docs/kube-apiserver.md.
 */
import { discoveryOnlyResourceTypes } from "./builtin-discovery.js";
import { fieldErrors } from "./errors.js";
import type { KubeObject, PrinterColumn, ResourceType } from "./types.js";

const AGE: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

function dataCount(obj: KubeObject): number {
  const data = obj.data as Record<string, unknown> | undefined;
  const binary = obj.binaryData as Record<string, unknown> | undefined;
  return Object.keys(data ?? {}).length + Object.keys(binary ?? {}).length;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function involved(obj: KubeObject, field: string): string {
  const ref = obj.involvedObject as Record<string, unknown> | undefined;
  return str(ref?.[field]);
}

function base(
  partial: Omit<
    ResourceType,
    | "storageKey"
    | "listKind"
    | "printerColumns"
    | "selectableFields"
    | "shortNames"
    | "categories"
    | "hasStatusSubresource"
    | "tracksGeneration"
  > &
    Partial<ResourceType>,
): ResourceType {
  return {
    storageKey: `${partial.group}/${partial.plural}`,
    listKind: `${partial.kind}List`,
    printerColumns: [AGE],
    selectableFields: {},
    shortNames: [],
    categories: [],
    hasStatusSubresource: false,
    tracksGeneration: false,
    ...partial,
  };
}

const namespaces = base({
  group: "",
  version: "v1",
  plural: "namespaces",
  singular: "namespace",
  kind: "Namespace",
  namespaced: false,
  shortNames: ["ns"],
  hasStatusSubresource: true,
  nameIsLabel: true,
  printerColumns: [{ name: "Status", type: "string", jsonPath: ".status.phase" }, AGE],
  selectableFields: { "status.phase": (o) => str((o.status as Record<string, unknown> | undefined)?.phase) },
  prepareForCreate(obj) {
    obj.spec = { finalizers: ["kubernetes"] };
    obj.status = { phase: "Active" };
    obj.metadata.labels = { ...obj.metadata.labels, "kubernetes.io/metadata.name": obj.metadata.name! };
  },
});

const configmaps = base({
  group: "",
  version: "v1",
  plural: "configmaps",
  singular: "configmap",
  kind: "ConfigMap",
  namespaced: true,
  shortNames: ["cm"],
  printerColumns: [{ name: "Data", type: "integer", jsonPath: ".data", compute: dataCount }, AGE],
});

const secrets = base({
  group: "",
  version: "v1",
  plural: "secrets",
  singular: "secret",
  kind: "Secret",
  namespaced: true,
  printerColumns: [
    { name: "Type", type: "string", jsonPath: ".type" },
    { name: "Data", type: "integer", jsonPath: ".data", compute: dataCount },
    AGE,
  ],
  selectableFields: { type: (o) => str(o.type) },
  prepareForWrite(obj) {
    // stringData is write-only: kube merges it into data (base64) and never stores it.
    const stringData = obj.stringData as Record<string, string> | undefined;
    if (stringData) {
      const data = { ...((obj.data as Record<string, string> | undefined) ?? {}) };
      for (const [k, v] of Object.entries(stringData))
        data[k] = Buffer.from(String(v), "utf8").toString("base64");
      obj.data = data;
      delete obj.stringData;
    }
    if (!obj.type) obj.type = "Opaque";
  },
  validate(obj) {
    const errors = [];
    for (const [key, value] of Object.entries((obj.data as Record<string, unknown> | undefined) ?? {})) {
      if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
        errors.push(fieldErrors.invalid(`data[${key}]`, "<secret contents redacted>", "illegal base64 data"));
      }
    }
    return { object: obj, errors, unknownFields: [] };
  },
});

const events = base({
  group: "",
  version: "v1",
  plural: "events",
  singular: "event",
  kind: "Event",
  namespaced: true,
  shortNames: ["ev"],
  printerColumns: [
    // Like kube's event table: the age of the last occurrence (lastTimestamp, else eventTime).
    {
      name: "Last Seen",
      type: "date",
      jsonPath: ".lastTimestamp",
      compute: (o) => o.lastTimestamp ?? o.eventTime ?? null,
    },
    { name: "Type", type: "string", jsonPath: ".type" },
    { name: "Reason", type: "string", jsonPath: ".reason" },
    {
      name: "Object",
      type: "string",
      jsonPath: ".involvedObject",
      compute: (o) => `${involved(o, "kind").toLowerCase()}/${involved(o, "name")}`,
    },
    { name: "Message", type: "string", jsonPath: ".message" },
  ],
  selectableFields: {
    "involvedObject.kind": (o) => involved(o, "kind"),
    "involvedObject.namespace": (o) => involved(o, "namespace"),
    "involvedObject.name": (o) => involved(o, "name"),
    "involvedObject.uid": (o) => involved(o, "uid"),
    "involvedObject.apiVersion": (o) => involved(o, "apiVersion"),
    "involvedObject.resourceVersion": (o) => involved(o, "resourceVersion"),
    "involvedObject.fieldPath": (o) => involved(o, "fieldPath"),
    reason: (o) => str(o.reason),
    reportingComponent: (o) => str(o.reportingComponent),
    source: (o) => str((o.source as Record<string, unknown> | undefined)?.component),
    type: (o) => str(o.type),
  },
});

const leases = base({
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  singular: "lease",
  kind: "Lease",
  namespaced: true,
  printerColumns: [{ name: "Holder", type: "string", jsonPath: ".spec.holderIdentity" }, AGE],
});

/**
 * All built-in resource types except CRDs (crd.ts adds that one): the discovery-only stand-ins for the
 * built-ins this server does not store first, then the served ones, which replace a stand-in of the same
 * name in the registry (so do kinds registered after these, such as CRDs).
 */
export function builtinResourceTypes(): ResourceType[] {
  const served = [namespaces, configmaps, secrets, events, leases];
  return [...discoveryOnlyResourceTypes(served), ...served];
}

export { base as builtinResourceType };

/** The namespaces that exist in a fresh cluster. */
export const INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
