/**
 * The HTTP layer's authentication + authorization step: who is asking (authenticate.ts), what they ask
 * (attributes.ts), whether RBAC allows it (rbac.ts, reading the Roles and bindings stored in the server),
 * and the 401/403 Status when not. Every 403 is recorded so tests can name the missing rule.
 */
import { STORAGE_KEYS } from "../builtin-auth.js";
import type { ApiError } from "../errors.js";
import type { ObjectStore } from "../store.js";
import { requestAttributes } from "./attributes.js";
import { authenticate } from "./authenticate.js";
import type { AuthEndpointsContext } from "./endpoints.js";
import { forbiddenError } from "./messages.js";
import { authorize, type Binding, type RbacSource, type Role } from "./rbac.js";
import type { UserInfo } from "./user.js";

export interface DeniedRequest {
  user: string;
  verb: string;
  /** The resource ("" for a non-resource URL, then `path` is set). */
  resource: string;
  subresource?: string;
  apiGroup: string;
  namespace?: string;
  name?: string;
  /** Non-resource URL requests only. */
  path?: string;
  /** The Status message the client got. */
  message: string;
}

export interface AuthState extends AuthEndpointsContext {
  adminToken: string;
  denied: DeniedRequest[];
}

/** RBAC objects as the store holds them right now (bindings applied a moment ago count at once). */
export function storeRbacSource(store: ObjectStore): RbacSource {
  return {
    clusterRoleBindings: () =>
      store.list(STORAGE_KEYS.clusterRoleBindings) as Iterable<never> as Iterable<Binding>,
    roleBindings: (namespace) =>
      store.list(STORAGE_KEYS.roleBindings, namespace) as Iterable<never> as Iterable<Binding>,
    clusterRole: (name) => store.get(STORAGE_KEYS.clusterRoles, "", name) as Role | undefined,
    role: (namespace, name) => store.get(STORAGE_KEYS.roles, namespace, name) as Role | undefined,
  };
}

function record(
  state: AuthState,
  user: UserInfo,
  error: ApiError,
  attrs: ReturnType<typeof requestAttributes>,
) {
  const entry: DeniedRequest =
    attrs.kind === "nonResource"
      ? {
          user: user.name,
          verb: attrs.verb,
          resource: "",
          apiGroup: "",
          path: attrs.path,
          message: error.message,
        }
      : {
          user: user.name,
          verb: attrs.verb,
          resource: attrs.resource,
          apiGroup: attrs.apiGroup,
          ...(attrs.subresource ? { subresource: attrs.subresource } : {}),
          ...(attrs.namespace ? { namespace: attrs.namespace } : {}),
          ...(attrs.name ? { name: attrs.name } : {}),
          message: error.message,
        };
  state.denied.push(entry);
}

/** Returns the authenticated, authorized user; throws the 401/403 ApiError otherwise. */
export async function guardRequest(
  state: AuthState,
  method: string,
  authorization: string | undefined,
  pathname: string,
  segments: string[],
  query: URLSearchParams,
): Promise<UserInfo> {
  const user = await authenticate(
    {
      adminToken: state.adminToken,
      tokens: state.tokens,
      serviceAccount: (namespace, name) => {
        const sa = state.store.get("/serviceaccounts", namespace, name);
        return sa
          ? { uid: sa.metadata.uid!, deleting: sa.metadata.deletionTimestamp !== undefined }
          : undefined;
      },
    },
    authorization,
    pathname,
  );
  const attrs = requestAttributes(method, pathname, segments, query);
  const decision = authorize(state.rbac, user, attrs);
  if (decision.allowed) return user;
  const error = forbiddenError(user.name, attrs, decision.reason);
  record(state, user, error, attrs);
  throw error;
}
