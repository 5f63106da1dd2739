/**
 * Bearer-token authentication like kube-apiserver's token authenticators: the static admin token, or a
 * ServiceAccount token this server issued whose ServiceAccount still exists with the same uid (deleting and
 * re-creating a ServiceAccount invalidates its old tokens) and is not being deleted. A request without
 * credentials is anonymous only on the public health/version endpoints (kube 1.32's anonymous
 * authenticator restricted to those paths); any other outcome is 401 Unauthorized.
 */
import { timingSafeEqual } from "node:crypto";
import { unauthorized } from "./messages.js";
import type { ServiceAccountTokens } from "./tokens.js";
import { ANONYMOUS, adminUser, serviceAccountUser, type UserInfo } from "./user.js";

/** Paths kube's system:public-info-viewer role opens to everyone. */
export const PUBLIC_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version", "/version/"]);

export interface Authenticator {
  adminToken: string;
  tokens: ServiceAccountTokens;
  /** uid and deletion state of a stored ServiceAccount, or undefined when there is none. */
  serviceAccount(namespace: string, name: string): { uid: string; deleting: boolean } | undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Throws the 401 ApiError when the request is not authenticated. */
export async function authenticate(
  auth: Authenticator,
  authorization: string | undefined,
  path: string,
): Promise<UserInfo> {
  if (authorization === undefined || authorization === "") {
    if (PUBLIC_PATHS.has(path)) return ANONYMOUS;
    throw unauthorized();
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw unauthorized();
  const token = m[1]!;
  if (sameSecret(token, auth.adminToken)) return adminUser();
  const sa = await auth.tokens.verify(token);
  if (!sa) throw unauthorized();
  const stored = auth.serviceAccount(sa.namespace, sa.name);
  if (!stored || stored.uid !== sa.uid || stored.deleting) throw unauthorized();
  return serviceAccountUser(sa.namespace, sa.name, sa.uid);
}
