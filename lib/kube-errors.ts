import { ApiException } from "@kubernetes/client-node";

/**
 * HTTP status of a failed Kubernetes API call (404, 409, 422, …), or undefined for failures that never got
 * an HTTP answer. Billing and the operator both branch on it; this is the one place that knows the shapes
 * @kubernetes/client-node errors come in.
 */
export function httpStatus(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code =
    (error as { code?: unknown; statusCode?: unknown })?.statusCode ?? (error as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
}
