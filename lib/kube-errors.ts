/**
 * Kept so existing imports compile: the one mapping of Kubernetes API failures is lib/kube/errors.ts, whose
 * httpStatus() understands both lib/kube's KubeApiError and @kubernetes/client-node's ApiException (`.code`)
 * without importing client-node at run time (issue 18). New code imports lib/kube/errors.js.
 */
export { httpStatus } from "./kube/errors.js";
