/**
 * Moved to lib/kube/throttle.ts (issue 18: the rate limit belongs to the one Kubernetes client); re-exported
 * so the operator compiles until it uses lib/kube's `rateLimit` option.
 */
export { type ClientRateLimit, RequestThrottle } from "../../lib/kube/throttle.js";
