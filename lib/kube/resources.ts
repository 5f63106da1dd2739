/**
 * Which resource a request is about: group/version/plural/kind and whether it lives in a namespace, and
 * the REST paths the API server serves it under (`/api/v1/...` for the core group, `/apis/<g>/<v>/...`
 * otherwise). Our CRDs' refs are generated in crds/types.ts (`WorkstationResource`, …); the built-in kinds
 * the control plane touches are declared here.
 */

export interface ResourceRef {
  /** "" for the core group (Namespaces, Events). */
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** Default true (our CRDs are namespaced). */
  namespaced?: boolean;
}

export const NamespaceResource: ResourceRef = {
  group: "",
  version: "v1",
  plural: "namespaces",
  kind: "Namespace",
  namespaced: false,
};
export const EventResource: ResourceRef = { group: "", version: "v1", plural: "events", kind: "Event" };
export const LeaseResource: ResourceRef = {
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
};

/**
 * The path of a collection (no name), an object, or an object's subresource (pure). A namespaced
 * resource without a namespace is its all-namespaces collection (lists and watches only).
 */
export function resourcePath(
  ref: ResourceRef,
  at: { namespace?: string | undefined; name?: string | undefined; subresource?: "status" } = {},
): string {
  const root = ref.group === "" ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  const scope =
    ref.namespaced !== false && at.namespace !== undefined
      ? `/namespaces/${encodeURIComponent(at.namespace)}`
      : "";
  if (at.name === undefined) {
    if (at.subresource) throw new Error(`a ${at.subresource} subresource needs an object name`);
    return `${root}${scope}/${ref.plural}`;
  }
  if (ref.namespaced !== false && at.namespace === undefined) {
    throw new Error(`${ref.kind} "${at.name}" is namespaced: give its namespace`);
  }
  const object = `${root}${scope}/${ref.plural}/${encodeURIComponent(at.name)}`;
  return at.subresource ? `${object}/${at.subresource}` : object;
}
