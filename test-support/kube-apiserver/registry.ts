/**
 * Which resources the API test server serves right now (built-ins plus every established CRD version), and
 * the discovery documents (/api, /api/v1, /apis, /apis/<group>[/<version>]) derived from them.
 */
import { apiVersionOf, type ResourceType } from "./types.js";

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const STATUS_VERBS = ["get", "patch", "update"];

/**
 * Kubernetes version priority (k8s.io/apimachinery/pkg/version.CompareKubeAwareVersionStrings): GA before
 * beta before alpha, higher numbers first, non-kube-like versions last in lexical order.
 */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return { rank: 0, major: 0, minor: 0 };
    const rank = m[2] === undefined ? 3 : m[2] === "beta" ? 2 : 1;
    return { rank, major: Number(m[1]), minor: Number(m[3] ?? 0) };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa.rank === 0 && pb.rank === 0) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.rank !== pb.rank) return pb.rank - pa.rank;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}

export class ResourceRegistry {
  /** "<group>/<version>" → plural → type. Core group is "" so its key is "/v1". */
  readonly #byGroupVersion = new Map<string, Map<string, ResourceType>>();

  add(rt: ResourceType): void {
    const key = `${rt.group}/${rt.version}`;
    let resources = this.#byGroupVersion.get(key);
    if (!resources) {
      resources = new Map();
      this.#byGroupVersion.set(key, resources);
    }
    resources.set(rt.plural, rt);
  }

  /** Removes every version of one stored resource (a deleted or changed CRD). */
  removeStorage(storageKey: string): void {
    for (const [key, resources] of this.#byGroupVersion) {
      for (const [plural, rt] of resources) if (rt.storageKey === storageKey) resources.delete(plural);
      if (resources.size === 0) this.#byGroupVersion.delete(key);
    }
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.#byGroupVersion.get(`${group}/${version}`)?.get(plural);
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.#byGroupVersion.has(`${group}/${version}`);
  }

  resourcesOf(group: string, version: string): ResourceType[] {
    return [...(this.#byGroupVersion.get(`${group}/${version}`)?.values() ?? [])];
  }

  all(): ResourceType[] {
    return [...this.#byGroupVersion.values()].flatMap((m) => [...m.values()]);
  }

  /** Named groups (not core), each with versions in priority order. */
  groups(): { name: string; versions: string[] }[] {
    const groups = new Map<string, string[]>();
    for (const key of this.#byGroupVersion.keys()) {
      const slash = key.lastIndexOf("/");
      const group = key.slice(0, slash);
      if (group === "") continue;
      const versions = groups.get(group) ?? [];
      versions.push(key.slice(slash + 1));
      groups.set(group, versions);
    }
    return [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, versions]) => ({ name, versions: versions.sort(compareKubeVersions) }));
  }

  apiGroup(group: string): Record<string, unknown> | undefined {
    const entry = this.groups().find((g) => g.name === group);
    if (!entry) return undefined;
    const versions = entry.versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
    return { kind: "APIGroup", apiVersion: "v1", name: group, versions, preferredVersion: versions[0] };
  }

  apiGroupList(): Record<string, unknown> {
    return {
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: this.groups()
        .map((g) => this.apiGroup(g.name))
        .map((g) => {
          const { kind: _kind, apiVersion: _apiVersion, ...rest } = g!;
          return rest;
        }),
    };
  }

  apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
    if (!this.hasGroupVersion(group, version)) return undefined;
    const resources: Record<string, unknown>[] = [];
    for (const rt of this.resourcesOf(group, version).sort((a, b) => (a.plural < b.plural ? -1 : 1))) {
      const entry: Record<string, unknown> = {
        name: rt.plural,
        singularName: rt.singular,
        namespaced: rt.namespaced,
        kind: rt.kind,
        verbs: VERBS,
      };
      if (rt.shortNames.length > 0) entry.shortNames = rt.shortNames;
      if (rt.categories.length > 0) entry.categories = rt.categories;
      resources.push(entry);
      if (rt.hasStatusSubresource) {
        resources.push({
          name: `${rt.plural}/status`,
          singularName: "",
          namespaced: rt.namespaced,
          kind: rt.kind,
          verbs: STATUS_VERBS,
        });
      }
    }
    return {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: apiVersionOf({ group, version }),
      resources,
    };
  }
}
