/**
 * Patch formats the API test server accepts: RFC 7386 merge patch, RFC 6902 JSON patch, strategic merge
 * patch (treated as a merge patch after dropping its `$…` directives — enough for the core kinds here), and
 * server-side apply (merged like a merge patch without field-ownership tracking; see docs/kube-apiserver.md).
 */
import { ApiError, badRequest } from "./errors.js";

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** Removes strategic-merge directives (`$patch`, `$retainKeys`, `$setElementOrder/…`, `$deleteFromPrimitiveList/…`). */
export function stripStrategicDirectives(patch: unknown): unknown {
  if (Array.isArray(patch)) return patch.map(stripStrategicDirectives);
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue;
    out[key] = stripStrategicDirectives(value);
  }
  return out;
}

/** Server-side apply without managed fields: maps merge, lists and scalars from the applied config win. */
export function applyConfiguration(target: unknown, applied: unknown): unknown {
  if (!isPlainObject(applied) || !isPlainObject(target)) return structuredClone(applied);
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(applied)) out[key] = applyConfiguration(out[key], value);
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function decodePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/"))
    throw badRequest(`invalid JSON pointer ${JSON.stringify(pointer)}: must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function patchFailed(message: string): ApiError {
  return new ApiError(
    422,
    "Invalid",
    `the server rejected our request due to an error in our request: ${message}`,
  );
}

function resolveParent(doc: unknown, tokens: string[], pointer: string): { parent: unknown; key: string } {
  let parent = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(parent)) parent = parent[Number(token)];
    else if (isPlainObject(parent)) parent = parent[token];
    else parent = undefined;
    if (parent === undefined)
      throw patchFailed(`jsonpatch: path ${pointer} does not exist (missing ${token})`);
  }
  return { parent, key: tokens[tokens.length - 1]! };
}

function getAt(doc: unknown, pointer: string): unknown {
  let current = doc;
  for (const token of decodePointer(pointer)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isPlainObject(current)) current = current[token];
    else current = undefined;
    if (current === undefined) throw patchFailed(`jsonpatch: path ${pointer} does not exist`);
  }
  return current;
}

function removeAt(doc: unknown, pointer: string): unknown {
  const tokens = decodePointer(pointer);
  if (tokens.length === 0) throw patchFailed("jsonpatch: cannot remove the document root");
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) {
      throw patchFailed(`jsonpatch: remove index ${key} out of bounds for ${pointer}`);
    }
    return parent.splice(index, 1)[0];
  }
  if (!isPlainObject(parent) || !(key in parent))
    throw patchFailed(`jsonpatch: remove path ${pointer} does not exist`);
  const removed = parent[key];
  delete parent[key];
  return removed;
}

function addAt(doc: unknown, pointer: string, value: unknown, replace: boolean): unknown {
  const tokens = decodePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    const index = key === "-" ? parent.length : Number(key);
    if (
      !Number.isInteger(index) ||
      index < 0 ||
      index > parent.length ||
      (replace && index >= parent.length)
    ) {
      throw patchFailed(`jsonpatch: index ${key} out of bounds for ${pointer}`);
    }
    if (replace) parent[index] = value;
    else parent.splice(index, 0, value);
  } else if (isPlainObject(parent)) {
    if (replace && !(key in parent)) throw patchFailed(`jsonpatch: replace path ${pointer} does not exist`);
    parent[key] = value;
  } else {
    throw patchFailed(`jsonpatch: parent of ${pointer} is not a container`);
  }
  return doc;
}

/** RFC 6902. Works on a clone; throws 422 for operations that cannot apply and 400 for malformed ones. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest("json patch body must be a JSON array of operations");
  let doc = structuredClone(target);
  for (const raw of operations as JsonPatchOp[]) {
    if (!isPlainObject(raw) || typeof raw.op !== "string" || typeof raw.path !== "string") {
      throw badRequest(`invalid json patch operation ${JSON.stringify(raw)}: needs "op" and "path"`);
    }
    switch (raw.op) {
      case "add":
        doc = addAt(doc, raw.path, structuredClone(raw.value), false);
        break;
      case "replace":
        doc = addAt(doc, raw.path, structuredClone(raw.value), true);
        break;
      case "remove":
        removeAt(doc, raw.path);
        break;
      case "move": {
        const value = removeAt(doc, raw.from ?? "");
        doc = addAt(doc, raw.path, value, false);
        break;
      }
      case "copy":
        doc = addAt(doc, raw.path, structuredClone(getAt(doc, raw.from ?? "")), false);
        break;
      case "test":
        if (JSON.stringify(getAt(doc, raw.path)) !== JSON.stringify(raw.value)) {
          throw patchFailed(
            `jsonpatch: test operation for path ${raw.path} failed, expected ${JSON.stringify(raw.value)}`,
          );
        }
        break;
      default:
        throw badRequest(`unsupported json patch operation "${raw.op}"`);
    }
  }
  return doc;
}
