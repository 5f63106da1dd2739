/**
 * Renders recorded resources as the plan document (JSON, consumed by the policy checks) or as a table for
 * people. Secrets are masked here, once, for both forms.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RecordedResource } from "./harness.js";

export const SECRET_MASK = "[secret]";
export const UNKNOWN_MARK = "[unknown]";

/** One resource in the plan document. The field set is a contract with policy/ — change it with care. */
export interface PlanResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
  dependencies: string[];
  /** Present (true) only for resources created with the `protect` option, e.g. the signing key. */
  protect?: true;
}

export interface PlanDocument {
  project: string;
  stack: string;
  resources: PlanResource[];
}

/** Replaces secret values by SECRET_MASK and unknown (preview) values by UNKNOWN_MARK, recursively. */
export function maskValue(value: unknown): unknown {
  if (value === pulumi.runtime.unknownValue) return UNKNOWN_MARK;
  if (Array.isArray(value)) return value.map(maskValue);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return SECRET_MASK;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      // SDK bookkeeping (e.g. __defaults) is not an input anyone set.
      if (k.startsWith("__")) continue;
      out[k] = maskValue(v);
    }
    return out;
  }
  return value;
}

export function toPlanDocument(project: string, stack: string, resources: RecordedResource[]): PlanDocument {
  return {
    project,
    stack,
    resources: [...resources]
      .sort((a, b) => a.urn.localeCompare(b.urn))
      .map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        inputs: maskValue(r.inputs) as Record<string, unknown>,
        dependencies: [...r.dependencies].sort(),
        ...(r.protect ? { protect: true as const } : {}),
      })),
  };
}

/** The inputs worth showing in a one-line summary per type (everything is in --json). */
const KEY_INPUTS: Record<string, string[]> = {
  "gcp:artifactregistry/repository:Repository": ["repositoryId", "dockerConfig", "kmsKeyName"],
  "gcp:kms/cryptoKey:CryptoKey": ["name", "purpose", "versionTemplate", "rotationPeriod"],
  "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": ["role", "member"],
  "gcp:container/cluster:Cluster": ["name", "privateClusterConfig", "releaseChannel"],
  "gcp:container/nodePool:NodePool": ["nodeConfig.machineType", "autoscaling"],
  "gcp:workstations/workstationConfig:WorkstationConfig": [
    "workstationConfigId",
    "host.gceInstance.machineType",
    "host.gceInstance.confidentialInstanceConfig",
    "idleTimeout",
    "runningTimeout",
  ],
  "gcp:sql/databaseInstance:DatabaseInstance": [
    "name",
    "settings.availabilityType",
    "settings.ipConfiguration",
  ],
  "gcp:secretmanager/secret:Secret": ["secretId"],
  "gcp:compute/firewall:Firewall": ["direction", "priority", "sourceRanges"],
  "gcp:compute/subnetwork:Subnetwork": ["ipCidrRange"],
};
const DEFAULT_KEYS = ["name", "role", "member", "metadata.name", "metadata.namespace"];

function pick(inputs: Record<string, unknown>, dotted: string): unknown {
  return dotted
    .split(".")
    .reduce<unknown>(
      (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
      inputs,
    );
}

function summarize(r: PlanResource): string {
  const keys = KEY_INPUTS[r.type] ?? DEFAULT_KEYS;
  return keys
    .map((k) => [k, pick(r.inputs, k)] as const)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}

/** A readable table: TYPE, NAME, PARENT (its name), KEY INPUTS; one line per resource. */
export function renderTable(doc: PlanDocument): string {
  const nameOf = new Map(doc.resources.map((r) => [r.urn, r.name]));
  const rows = doc.resources.map((r) => [
    r.type,
    r.name,
    r.parent ? (nameOf.get(r.parent) ?? r.parent) : "-",
    summarize(r),
  ]);
  const header = ["TYPE", "NAME", "PARENT", "KEY INPUTS"];
  const widths = [0, 1, 2].map((i) => Math.max(header[i]!.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell))
      .join("  ")
      .trimEnd();
  return [
    `Plan for ${doc.project} / ${doc.stack}: ${doc.resources.length} resources`,
    line(header),
    ...rows.map(line),
  ].join("\n");
}
