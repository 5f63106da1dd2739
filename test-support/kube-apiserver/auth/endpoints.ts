/**
 * The two auth endpoints that are not stored objects: the TokenRequest subresource
 * (`POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token`, authentication.k8s.io/v1) and
 * SelfSubjectAccessReview (`POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, what
 * `kubectl auth can-i` asks) and SelfSubjectRulesReview (`kubectl auth can-i --list`). Bodies in JSON or, as kubectl sends them, Kubernetes protobuf.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../../../lib/clock.js";
import { badRequest, invalid, methodNotAllowed, notFound } from "../errors.js";
import { kubeTimestamp } from "../meta.js";
import { decodeBody, readBodyBytes, sendJson } from "../request.js";
import type { ObjectStore } from "../store.js";
import type { RequestAttributes } from "./attributes.js";
import { authorize, type PolicyRule, type RbacSource, rulesFor } from "./rbac.js";
import { MIN_EXPIRATION_SECONDS, type ServiceAccountTokens } from "./tokens.js";
import type { UserInfo } from "./user.js";

export const SERVICE_ACCOUNTS_KEY = "/serviceaccounts";

export interface AuthEndpointsContext {
  store: ObjectStore;
  clock: Clock;
  tokens: ServiceAccountTokens;
  rbac: RbacSource;
  /** Whether RBAC is enforced; when it is not, every access review answers allowed. */
  enforced: boolean;
}

/** The request body as an object: JSON, YAML or kubectl's protobuf (request.ts decodes all three). */
async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  const contentType = req.headers["content-type"] ?? "application/json";
  const decoded = decodeBody(await readBodyBytes(req), contentType);
  if (decoded === null || typeof decoded !== "object" || Array.isArray(decoded))
    throw badRequest("the body of the request must be a JSON object");
  return decoded as Record<string, unknown>;
}

/** Issues a token for a stored ServiceAccount (404 when there is none). */
export async function issueServiceAccountToken(
  ctx: AuthEndpointsContext,
  namespace: string,
  name: string,
  expirationSeconds: number,
  audiences?: string[],
) {
  const sa = ctx.store.get(SERVICE_ACCOUNTS_KEY, namespace, name);
  if (!sa) throw notFound({ group: "", resource: "serviceaccounts", kind: "ServiceAccount", name });
  return ctx.tokens.issue({ namespace, name, uid: sa.metadata.uid! }, expirationSeconds, audiences);
}

async function serveTokenRequest(
  ctx: AuthEndpointsContext,
  req: IncomingMessage,
  res: ServerResponse,
  namespace: string,
  name: string,
): Promise<void> {
  const body = await bodyOf(req);
  const spec = (body.spec ?? {}) as { audiences?: string[]; expirationSeconds?: number };
  const expirationSeconds = spec.expirationSeconds ?? 3600;
  const subject = { group: "authentication.k8s.io", resource: "token", kind: "TokenRequest", name };
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS) {
    throw invalid(subject, [
      {
        reason: "FieldValueInvalid",
        field: "spec.expirationSeconds",
        message: `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes`,
      },
    ]);
  }
  const issued = await issueServiceAccountToken(
    ctx,
    namespace,
    name,
    expirationSeconds,
    spec.audiences && spec.audiences.length > 0 ? spec.audiences : undefined,
  );
  sendJson(res, 201, {
    kind: "TokenRequest",
    apiVersion: "authentication.k8s.io/v1",
    metadata: { name, namespace, creationTimestamp: kubeTimestamp(ctx.clock.now()) },
    spec: { audiences: issued.audiences, expirationSeconds, boundObjectRef: null },
    status: { token: issued.token, expirationTimestamp: kubeTimestamp(issued.expirationTimestamp) },
  });
}

interface ReviewSpec {
  resourceAttributes?: Record<string, string | undefined>;
  nonResourceAttributes?: { path?: string; verb?: string };
}

/** Turns a SelfSubjectAccessReview spec into the attributes a real request would carry. */
export function reviewAttributes(spec: ReviewSpec): RequestAttributes {
  const r = spec.resourceAttributes;
  const n = spec.nonResourceAttributes;
  if ((r === undefined) === (n === undefined)) {
    throw invalid(
      {
        group: "authorization.k8s.io",
        resource: "selfsubjectaccessreviews",
        kind: "SelfSubjectAccessReview",
        name: "",
      },
      [
        {
          reason: "FieldValueInvalid",
          field: "spec.resourceAttributes",
          message:
            'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
        },
      ],
    );
  }
  if (n) return { kind: "nonResource", verb: n.verb ?? "", path: n.path ?? "" };
  return {
    kind: "resource",
    verb: r!.verb ?? "",
    apiGroup: r!.group ?? "",
    apiVersion: r!.version ?? "",
    resource: r!.resource ?? "",
    subresource: r!.subresource ?? "",
    namespace: r!.namespace ?? "",
    name: r!.name ?? "",
  };
}

async function serveAccessReview(
  ctx: AuthEndpointsContext,
  req: IncomingMessage,
  res: ServerResponse,
  user: UserInfo | undefined,
): Promise<void> {
  const body = await bodyOf(req);
  const spec = (body.spec ?? {}) as ReviewSpec;
  const attrs = reviewAttributes(spec);
  const decision = ctx.enforced && user ? authorize(ctx.rbac, user, attrs) : { allowed: true, reason: "" };
  sendJson(res, 201, {
    kind: "SelfSubjectAccessReview",
    apiVersion: "authorization.k8s.io/v1",
    metadata: { creationTimestamp: null },
    spec,
    status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
  });
}

async function serveRulesReview(
  ctx: AuthEndpointsContext,
  req: IncomingMessage,
  res: ServerResponse,
  user: UserInfo | undefined,
): Promise<void> {
  const body = await bodyOf(req);
  const namespace = ((body.spec ?? {}) as { namespace?: string }).namespace ?? "";
  const everything: { rules: PolicyRule[]; incomplete: boolean; errors: string[] } = {
    rules: [
      { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
      { nonResourceURLs: ["*"], verbs: ["*"] },
    ],
    incomplete: false,
    errors: [],
  };
  const found = ctx.enforced && user ? rulesFor(ctx.rbac, user, namespace) : everything;
  const resourceRules = found.rules
    .filter((r) => (r.nonResourceURLs ?? []).length === 0)
    .map((r) => ({
      verbs: r.verbs ?? [],
      apiGroups: r.apiGroups ?? [],
      resources: r.resources ?? [],
      ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
    }));
  const nonResourceRules = found.rules
    .filter((r) => (r.nonResourceURLs ?? []).length > 0)
    .map((r) => ({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs }));
  sendJson(res, 201, {
    kind: "SelfSubjectRulesReview",
    apiVersion: "authorization.k8s.io/v1",
    metadata: { creationTimestamp: null },
    spec: { namespace },
    status: {
      resourceRules,
      nonResourceRules,
      incomplete: found.incomplete,
      ...(found.errors.length ? { evaluationError: found.errors.join(", ") } : {}),
    },
  });
}

/** Answers the auth endpoints; returns false for any other path. `user` is undefined when RBAC is off. */
export async function serveAuthEndpoints(
  ctx: AuthEndpointsContext,
  req: IncomingMessage,
  res: ServerResponse,
  segments: string[],
  user: UserInfo | undefined,
): Promise<boolean> {
  const method = req.method ?? "GET";
  const isTokenPath =
    segments.length === 7 &&
    segments[0] === "api" &&
    segments[1] === "v1" &&
    segments[2] === "namespaces" &&
    segments[4] === "serviceaccounts" &&
    segments[6] === "token";
  if (isTokenPath) {
    if (method !== "POST") throw methodNotAllowed(`${method} is not supported on serviceaccounts/token`);
    await serveTokenRequest(ctx, req, res, segments[3]!, segments[5]!);
    return true;
  }
  const review =
    segments.length === 4 &&
    segments[0] === "apis" &&
    segments[1] === "authorization.k8s.io" &&
    segments[2] === "v1" &&
    (segments[3] === "selfsubjectaccessreviews" || segments[3] === "selfsubjectrulesreviews")
      ? segments[3]
      : undefined;
  if (!review) return false;
  if (method !== "POST")
    throw methodNotAllowed(
      `the server does not allow this method on the requested resource (${method} ${review})`,
    );
  if (review === "selfsubjectaccessreviews") await serveAccessReview(ctx, req, res, user);
  else await serveRulesReview(ctx, req, res, user);
  return true;
}
