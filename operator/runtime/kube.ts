/**
 * A small typed client for one custom resource kind, on @kubernetes/client-node's CustomObjectsApi:
 * list (for informers), get, merge-patch of metadata and of the status subresource. Writes return the
 * object the API server stored, so callers can feed it to `Informer.observeWrite`.
 */
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { KubeObjectMeta } from "../../crds/types.js";
import { httpStatus } from "../../lib/kube-errors.js";
import type { ListResult } from "./informer.js";
import type { RequestThrottle } from "./throttle.js";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: KubeObjectMeta;
}

/** Group/version/plural/kind of a custom resource, as the generated `WorkstationResource` constants. */
export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

/** `namespace/name`: the work-queue key of a namespaced object. */
export function objectKey(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  if (slash < 0) throw new Error(`work-queue key "${key}" is not namespace/name`);
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export class CustomResourceClient<T extends KubeObject> {
  readonly #api: CustomObjectsApi;

  constructor(
    kubeConfig: KubeConfig,
    readonly resource: ResourceRef,
    /** The client's request rate (QPS/burst, operator/runtime/throttle.ts); none = unlimited. */
    private readonly throttle?: RequestThrottle,
  ) {
    this.#api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** The collection path across all namespaces, for watches. */
  get watchPath(): string {
    return `/apis/${this.resource.group}/${this.resource.version}/${this.resource.plural}`;
  }

  async list(): Promise<ListResult<T>> {
    const { group, version, plural } = this.resource;
    await this.throttle?.acquire();
    const body = (await this.#api.listClusterCustomObject({ group, version, plural })) as {
      items?: T[];
      metadata?: { resourceVersion?: string };
    };
    return { items: body.items ?? [], resourceVersion: body.metadata?.resourceVersion ?? "" };
  }

  /** The object, or null when it does not exist. */
  async get(namespace: string, name: string): Promise<T | null> {
    const { group, version, plural } = this.resource;
    await this.throttle?.acquire();
    try {
      return (await this.#api.getNamespacedCustomObject({ group, version, plural, namespace, name })) as T;
    } catch (error) {
      if (httpStatus(error) === 404) return null;
      throw error;
    }
  }

  /** JSON merge patch of the main resource (metadata, spec). */
  async patch(namespace: string, name: string, body: object): Promise<T> {
    const { group, version, plural } = this.resource;
    await this.throttle?.acquire();
    return (await this.#api.patchNamespacedCustomObject(
      { group, version, plural, namespace, name, body },
      MERGE_PATCH,
    )) as T;
  }

  /** JSON merge patch of the status subresource. */
  async patchStatus(namespace: string, name: string, body: object): Promise<T> {
    const { group, version, plural } = this.resource;
    await this.throttle?.acquire();
    return (await this.#api.patchNamespacedCustomObjectStatus(
      { group, version, plural, namespace, name, body },
      MERGE_PATCH,
    )) as T;
  }

  /** Deletes the object; one that is already gone counts as deleted. */
  async delete(namespace: string, name: string): Promise<void> {
    const { group, version, plural } = this.resource;
    await this.throttle?.acquire();
    try {
      await this.#api.deleteNamespacedCustomObject({ group, version, plural, namespace, name });
    } catch (error) {
      if (httpStatus(error) !== 404) throw error;
    }
  }
}

/**
 * The merge patch that turns `before` into `after` at the top level of a plain object: changed or new
 * keys carry the new value, removed keys are set to null (merge-patch's "delete"). Arrays and nested
 * objects are replaced whole, which is what status writes want.
 */
export function topLevelMergePatch(before: object | undefined, after: object): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  const old = (before ?? {}) as Record<string, unknown>;
  const next = after as Record<string, unknown>;
  for (const [key, value] of Object.entries(next)) {
    if (value !== undefined && !deepEqual(old[key], value)) patch[key] = value;
  }
  for (const key of Object.keys(old))
    if (next[key] === undefined && old[key] !== undefined) patch[key] = null;
  return patch;
}

/** Structural equality of JSON values, independent of object key order (the API server may reorder keys). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => deepEqual(item, other[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
