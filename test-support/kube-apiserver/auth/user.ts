/**
 * Who a request comes from, as kube-apiserver's authenticators describe it (k8s.io/apiserver user.Info):
 * a user name and groups. ServiceAccounts are users named `system:serviceaccount:<ns>:<name>`.
 */

export interface UserInfo {
  name: string;
  groups: string[];
  /** ServiceAccount uid for ServiceAccount tokens (kube's `authentication.kubernetes.io/credential-id` extra). */
  uid?: string;
}

export const SYSTEM_MASTERS = "system:masters";
export const SYSTEM_AUTHENTICATED = "system:authenticated";
export const SYSTEM_UNAUTHENTICATED = "system:unauthenticated";
export const SYSTEM_SERVICEACCOUNTS = "system:serviceaccounts";
export const ANONYMOUS: UserInfo = { name: "system:anonymous", groups: [SYSTEM_UNAUTHENTICATED] };

/** The admin credential of the test server (the sandbox's kubectl user). */
export const ADMIN_USER_NAME = "coditect:admin";

export function serviceAccountUserName(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** The user kube derives from a verified ServiceAccount token. */
export function serviceAccountUser(namespace: string, name: string, uid: string): UserInfo {
  return {
    name: serviceAccountUserName(namespace, name),
    groups: [SYSTEM_SERVICEACCOUNTS, `${SYSTEM_SERVICEACCOUNTS}:${namespace}`, SYSTEM_AUTHENTICATED],
    uid,
  };
}

export function adminUser(): UserInfo {
  return { name: ADMIN_USER_NAME, groups: [SYSTEM_MASTERS, SYSTEM_AUTHENTICATED] };
}
