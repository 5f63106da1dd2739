/**
 * Request/response plumbing for the API test server: JSON responses with Warning headers, Status error
 * bodies, body reading (size-limited) and decoding (JSON, YAML for apply patches, or kube's protobuf for the
 * built-in kinds kubectl creates — protobuf/decode.ts), query options.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { ApiError, badRequest } from "./errors.js";
import { decodeProtobufBody, isProtobufMediaType } from "./protobuf/decode.js";
import type { IncludeObject } from "./table.js";
import type { FieldValidationMode } from "./types.js";

const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function sendJson(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const payload = JSON.stringify(body);
  const headers: Record<string, string | string[]> = {
    "Content-Type": "application/json",
    "Cache-Control": "no-cache, private",
  };
  if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(payload);
}

export function sendError(res: ServerResponse, error: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(error.retryAfterSeconds));
  sendJson(res, error.code, error.toStatus());
}

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBodyBytes(req)).toString("utf8");
}

/** The raw body: protobuf bodies are binary and must not go through a UTF-8 string. */
export async function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(413, "RequestEntityTooLarge", `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function decodeBody(body: Buffer | string, contentType: string): unknown {
  if (body.length === 0) return undefined;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  if (isProtobufMediaType(type) && typeof body !== "string") return decodeProtobufBody(body);
  const text = typeof body === "string" ? body : body.toString("utf8");
  if (text.trim() === "") return undefined;
  if (type.includes("protobuf") || type.includes("cbor")) {
    throw new ApiError(
      415,
      "UnsupportedMediaType",
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got "${type}")`,
    );
  }
  try {
    return type.endsWith("yaml") ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(
      `the request body is not valid ${type.endsWith("yaml") ? "YAML" : "JSON"}: ${(error as Error).message}`,
    );
  }
}

export function fieldValidationOf(query: URLSearchParams): FieldValidationMode {
  const raw = query.get("fieldValidation");
  if (raw === null || raw === "") return "Warn";
  if (raw === "Ignore" || raw === "Warn" || raw === "Strict") return raw;
  throw badRequest(
    `fieldValidation: Unsupported value: ${JSON.stringify(raw)}: supported values: "Ignore", "Warn", "Strict"`,
  );
}

export function includeObjectOf(query: URLSearchParams): IncludeObject {
  const raw = query.get("includeObject");
  if (raw === null || raw === "") return "Metadata";
  if (raw === "None" || raw === "Metadata" || raw === "Object") return raw;
  throw badRequest(
    `includeObject: Unsupported value: ${JSON.stringify(raw)}: supported values: "None", "Metadata", "Object"`,
  );
}

export function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.split(",").some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
