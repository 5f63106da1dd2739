/**
 * kube-apiserver's 401 and 403 responses, worded exactly as k8s.io/apiserver's
 * endpoints/handlers/responsewriters (forbiddenMessage) and apimachinery's NewForbidden/NewUnauthorized.
 */
import { ApiError, qualifiedResource } from "../errors.js";
import type { RequestAttributes } from "./attributes.js";

export function unauthorized(): ApiError {
  return new ApiError(401, "Unauthorized", "Unauthorized");
}

/** kube escapes what could look like HTML in the message (responsewriters' sanitizer). */
const sanitize = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** `User "u" cannot <verb> resource "r[/sub]" in API group "g" in the namespace "ns"` (or `at the cluster scope`). */
export function forbiddenMessage(userName: string, attrs: RequestAttributes): string {
  return sanitize(rawForbiddenMessage(userName, attrs));
}

function rawForbiddenMessage(userName: string, attrs: RequestAttributes): string {
  if (attrs.kind === "nonResource")
    return `User ${JSON.stringify(userName)} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const where = attrs.namespace
    ? `in the namespace ${JSON.stringify(attrs.namespace)}`
    : "at the cluster scope";
  return `User ${JSON.stringify(userName)} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)} ${where}`;
}

/**
 * The 403 Status: `<resource>.<group> "<name>" is forbidden: <message>[: <reason>]`; `<resource>.<group> is
 * forbidden: …` for collections; `forbidden: …` for non-resource URLs. Details carry group, kind (the
 * resource, as kube does) and name.
 */
export function forbiddenError(userName: string, attrs: RequestAttributes, reason: string): ApiError {
  const base = forbiddenMessage(userName, attrs);
  const err = reason ? `${base}: ${reason}` : base;
  if (attrs.kind === "nonResource") return new ApiError(403, "Forbidden", `forbidden: ${err}`, {});
  const qualified = qualifiedResource(attrs.apiGroup, attrs.resource);
  const message = attrs.name
    ? `${qualified} ${JSON.stringify(attrs.name)} is forbidden: ${err}`
    : `${qualified} is forbidden: ${err}`;
  const details: Record<string, unknown> = { kind: attrs.resource };
  if (attrs.name) details.name = attrs.name;
  if (attrs.apiGroup) details.group = attrs.apiGroup;
  return new ApiError(403, "Forbidden", message, details);
}
