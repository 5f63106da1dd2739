/**
 * `meta.k8s.io/v1 Table` rendering for `kubectl get` (Accept: application/json;as=Table;v=v1;g=meta.k8s.io):
 * a Name column, then the kind's printer columns, with `date` cells turned into kube's human-readable ages.
 */
import { evaluateJsonPath, parseJsonPath } from "./jsonpath.js";
import type { KubeObject, PrinterColumn, ResourceType } from "./types.js";

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    const years = Math.floor(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

const parsedPaths = new Map<string, ReturnType<typeof parseJsonPath>>();

function ageOf(value: unknown, now: Date): string {
  if (typeof value !== "string") return "<invalid>";
  const at = Date.parse(value);
  return Number.isNaN(at) ? "<invalid>" : humanDuration(now.getTime() - at);
}

function cell(column: PrinterColumn, obj: KubeObject, now: Date): unknown {
  let value: unknown;
  if (column.compute) {
    value = column.compute(obj);
  } else {
    let steps = parsedPaths.get(column.jsonPath);
    if (!steps) {
      steps = parseJsonPath(column.jsonPath);
      parsedPaths.set(column.jsonPath, steps);
    }
    const results = evaluateJsonPath(steps, obj);
    if (results.length === 0) return null;
    value =
      results.length === 1
        ? results[0]
        : results.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join(",");
  }
  if (value === null || value === undefined) return null;
  if (column.type === "date") return ageOf(value, now);
  if (typeof value === "object") return JSON.stringify(value);
  return value;
}

export function columnDefinitions(rt: ResourceType): Record<string, unknown>[] {
  return [
    {
      name: "Name",
      type: "string",
      format: "name",
      description:
        "Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
      priority: 0,
    },
    ...rt.printerColumns.map((c) => ({
      name: c.name,
      type: c.type === "date" ? "date" : c.type,
      format: c.format ?? "",
      description: c.description ?? (c.type === "date" ? "Age of the object" : ""),
      priority: c.priority ?? 0,
    })),
  ];
}

/** `includeObject` is kube's query parameter: None, Metadata (the default) or Object. */
export type IncludeObject = "None" | "Metadata" | "Object";

export function tableRow(
  rt: ResourceType,
  obj: KubeObject,
  includeObject: IncludeObject,
  now: Date,
): Record<string, unknown> {
  const row: Record<string, unknown> = {
    cells: [obj.metadata.name, ...rt.printerColumns.map((c) => cell(c, obj, now))],
  };
  if (includeObject === "Object") row.object = obj;
  else if (includeObject === "Metadata") {
    row.object = { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
  }
  return row;
}

export function toTable(
  rt: ResourceType,
  objects: KubeObject[],
  listMetadata: Record<string, unknown>,
  includeObject: IncludeObject,
  now: Date,
  withColumns = true,
): Record<string, unknown> {
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMetadata,
    ...(withColumns ? { columnDefinitions: columnDefinitions(rt) } : {}),
    rows: objects.map((o) => tableRow(rt, o, includeObject, now)),
  };
}
