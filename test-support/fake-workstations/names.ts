/**
 * Resource-name parsing and input validation for the fake Cloud Workstations API, mirroring the
 * constraints the real API enforces on what the operator sends (ids, parents, labels, IAM members).
 *
 * Test infrastructure: not used in production.
 */
import { status } from "@grpc/grpc-js";
import { FakeStatusError } from "../grpc-fake.js";

/** The error the fake answers with (a gRPC status with its message): shared by every gRPC fake. */
export { FakeStatusError };

/** RFC 1035 label, as GCP requires for resource ids. */
const RESOURCE_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const IAM_MEMBER =
  /^(user|serviceAccount|group|domain|principal|principalSet):\S+$|^allUsers$|^allAuthenticatedUsers$/;

const SEGMENT = "([^/]+)";
const LOCATION = new RegExp(`^projects/${SEGMENT}/locations/${SEGMENT}$`);
const CLUSTER = new RegExp(`^projects/${SEGMENT}/locations/${SEGMENT}/workstationClusters/${SEGMENT}$`);
const CONFIG = new RegExp(
  `^projects/${SEGMENT}/locations/${SEGMENT}/workstationClusters/${SEGMENT}/workstationConfigs/${SEGMENT}$`,
);
const WORKSTATION = new RegExp(
  `^projects/${SEGMENT}/locations/${SEGMENT}/workstationClusters/${SEGMENT}/workstationConfigs/${SEGMENT}/workstations/${SEGMENT}$`,
);

export type ResourceKind = "location" | "cluster" | "config" | "workstation";
const PATTERNS: Record<ResourceKind, RegExp> = {
  location: LOCATION,
  cluster: CLUSTER,
  config: CONFIG,
  workstation: WORKSTATION,
};
const EXAMPLES: Record<ResourceKind, string> = {
  location: "projects/{project}/locations/{location}",
  cluster: "projects/{p}/locations/{l}/workstationClusters/{cluster}",
  config: "projects/{p}/locations/{l}/workstationClusters/{c}/workstationConfigs/{config}",
  workstation:
    "projects/{p}/locations/{l}/workstationClusters/{c}/workstationConfigs/{cfg}/workstations/{ws}",
};

/** Throws INVALID_ARGUMENT unless `name` is a well-formed resource name of this kind. */
export function requireName(kind: ResourceKind, field: string, name: string): string {
  if (!PATTERNS[kind].test(name)) {
    throw new FakeStatusError(
      status.INVALID_ARGUMENT,
      `${field} "${name}" is not a valid ${kind} name; expected ${EXAMPLES[kind]}`,
    );
  }
  return name;
}

export function isName(kind: ResourceKind, name: string): boolean {
  return PATTERNS[kind].test(name);
}

/** The parent of a cluster, config or workstation name (one collection up). */
export function parentOf(name: string): string {
  return name.split("/").slice(0, -2).join("/");
}

/** The last segment of a resource name. */
export function idOf(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

/** `projects/p/locations/l` of any resource name below a location. */
export function locationOf(name: string): string {
  return name.split("/").slice(0, 4).join("/");
}

export function requireResourceId(field: string, id: string): void {
  if (!RESOURCE_ID.test(id)) {
    throw new FakeStatusError(
      status.INVALID_ARGUMENT,
      `${field} "${id}" is invalid: it must be 1-63 characters of lowercase letters, digits and hyphens, ` +
        "start with a letter and not end with a hyphen",
    );
  }
}

/** GCP label rules: keys start with a lowercase letter; keys and values ≤ 63 of [a-z0-9_-]. */
export function requireLabels(labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  if (entries.length > 64) {
    throw new FakeStatusError(
      status.INVALID_ARGUMENT,
      `too many labels (${entries.length}); at most 64 allowed`,
    );
  }
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) {
      throw new FakeStatusError(status.INVALID_ARGUMENT, `label key "${key}" is invalid`);
    }
    if (!LABEL_VALUE.test(value)) {
      throw new FakeStatusError(status.INVALID_ARGUMENT, `label value "${value}" of key "${key}" is invalid`);
    }
  }
}

export function requireIamMember(member: string): void {
  if (!IAM_MEMBER.test(member)) {
    throw new FakeStatusError(
      status.INVALID_ARGUMENT,
      `IAM member "${member}" is invalid; expected e.g. user:alice@example.com or serviceAccount:…`,
    );
  }
}
