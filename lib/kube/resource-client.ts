/**
 * The typed requests for one resource kind (ResourceClient, client.ts): paths from resources.ts, query
 * strings, patch content types, 404 → null/false, and the watch stream read line by line.
 */
import type { ListOptions, PatchType, ResourceClient, WatchOptions } from "./client.js";
import { isNotFound, KubeConnectionError } from "./errors.js";
import { LineSplitter } from "./ndjson.js";
import type { KubeList, KubeObject, WatchEvent } from "./objects.js";
import { type ResourceRef, resourcePath } from "./resources.js";
import type { RequestThrottle } from "./throttle.js";
import type { KubeRequest, KubeTransport } from "./transport.js";

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

/** The query string of a list or watch (pure); undefined options are left out. */
export function listQuery(options: Omit<ListOptions, "namespace"> & Partial<WatchOptions>): URLSearchParams {
  const query = new URLSearchParams();
  const set = (key: string, value: string | number | boolean | undefined) => {
    if (value !== undefined && value !== "") query.set(key, String(value));
  };
  set("labelSelector", options.labelSelector);
  set("fieldSelector", options.fieldSelector);
  set("limit", options.limit);
  set("continue", options.continue);
  return query;
}

export class TypedResourceClient<T extends KubeObject> implements ResourceClient<T> {
  constructor(
    readonly resource: ResourceRef,
    private readonly transport: KubeTransport,
    private readonly throttle: RequestThrottle | undefined,
  ) {}

  async list(options: ListOptions = {}): Promise<KubeList<T>> {
    return this.#call({
      method: "GET",
      path: resourcePath(this.resource, { namespace: options.namespace }),
      query: listQuery(options),
    });
  }

  async get(namespace: string | undefined, name: string): Promise<T | null> {
    try {
      return await this.#call<T>({ method: "GET", path: this.#path(namespace, name) });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async create(object: T): Promise<T> {
    const namespace = this.#namespaceOf(object, "create");
    return this.#call({
      method: "POST",
      path: resourcePath(this.resource, { namespace }),
      body: this.#withTypeMeta(object),
    });
  }

  async replace(object: T): Promise<T> {
    const name = object.metadata?.name;
    if (!name) throw new Error(`replace ${this.resource.kind}: the object has no metadata.name`);
    return this.#call({
      method: "PUT",
      path: this.#path(this.#namespaceOf(object, "replace"), name),
      body: this.#withTypeMeta(object),
    });
  }

  patch(namespace: string | undefined, name: string, body: unknown, type: PatchType = "merge"): Promise<T> {
    return this.#patch(namespace, name, undefined, body, type);
  }

  patchStatus(
    namespace: string | undefined,
    name: string,
    body: unknown,
    type: PatchType = "merge",
  ): Promise<T> {
    return this.#patch(namespace, name, "status", body, type);
  }

  #patch(
    namespace: string | undefined,
    name: string,
    subresource: "status" | undefined,
    body: unknown,
    type: PatchType,
  ): Promise<T> {
    return this.#call({
      method: "PATCH",
      path: this.#path(namespace, name, subresource),
      body,
      contentType: PATCH_CONTENT_TYPES[type],
    });
  }

  async delete(namespace: string | undefined, name: string): Promise<boolean> {
    try {
      await this.#call({ method: "DELETE", path: this.#path(namespace, name) });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async watch(options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<void> {
    const query = listQuery(options);
    query.set("watch", "1");
    query.set("resourceVersion", options.resourceVersion);
    query.set("allowWatchBookmarks", String(options.allowWatchBookmarks ?? true));
    if (options.timeoutSeconds !== undefined) query.set("timeoutSeconds", String(options.timeoutSeconds));
    const request: KubeRequest = {
      method: "GET",
      path: resourcePath(this.resource, { namespace: options.namespace }),
      query,
    };
    const { signal, release } = this.transport.watchSignal(options.signal);
    try {
      await this.#readWatch(request, signal, onEvent);
    } finally {
      release();
    }
  }

  async #readWatch(
    request: KubeRequest,
    signal: AbortSignal,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<void> {
    let answer: Awaited<ReturnType<KubeTransport["stream"]>>;
    try {
      answer = await this.transport.stream(request, signal);
    } catch (error) {
      if (signal.aborted && error instanceof KubeConnectionError) return;
      throw error;
    }
    const lines = new LineSplitter();
    // An error thrown by onEvent is the caller's and goes back as is; only socket failures are wrapped.
    let callerError: { error: unknown } | undefined;
    const deliver = (line: string) => {
      let event: WatchEvent<T>;
      try {
        event = JSON.parse(line) as WatchEvent<T>;
      } catch {
        throw new KubeConnectionError(
          `watch ${this.resource.plural}: the server sent a line that is not JSON: ${line.slice(0, 120)}`,
          `GET ${request.path}`,
        );
      }
      try {
        onEvent(event);
      } catch (error) {
        callerError = { error };
        throw error;
      }
    };
    try {
      for await (const chunk of answer.body) {
        for (const line of lines.push(chunk as Buffer)) deliver(line);
      }
    } catch (error) {
      if (callerError?.error === error || error instanceof KubeConnectionError) throw error;
      if (signal.aborted) return;
      throw new KubeConnectionError(
        `watch ${this.resource.plural} to ${this.transport.connection.description}: ${(error as Error).message}`,
        `GET ${request.path}`,
        { cause: error },
      );
    }
    // A clean end: a last line without its newline is a whole event only if it parses.
    const rest = lines.end();
    if (rest !== "") {
      try {
        onEvent(JSON.parse(rest) as WatchEvent<T>);
      } catch {
        // cut off mid-event by the server's end of stream: not an event
      }
    }
  }

  async #call<R>(request: KubeRequest): Promise<R> {
    await this.throttle?.acquire();
    return this.transport.json<R>(request);
  }

  #path(namespace: string | undefined, name: string, subresource?: "status"): string {
    return resourcePath(this.resource, {
      namespace: this.resource.namespaced === false ? undefined : namespace,
      name,
      ...(subresource ? { subresource } : {}),
    });
  }

  #namespaceOf(object: T, verb: string): string | undefined {
    if (this.resource.namespaced === false) return undefined;
    const namespace = object.metadata?.namespace ?? this.transport.connection.namespace;
    if (!namespace) {
      throw new Error(
        `${verb} ${this.resource.kind} "${object.metadata?.name ?? object.metadata?.generateName ?? ""}": it is namespaced; set metadata.namespace`,
      );
    }
    return namespace;
  }

  /** apiVersion/kind filled in when the caller left them out (the API server requires them). */
  #withTypeMeta(object: T): T {
    const { group, version, kind } = this.resource;
    return {
      ...object,
      apiVersion: object.apiVersion ?? (group === "" ? version : `${group}/${version}`),
      kind: object.kind ?? kind,
    };
  }
}
