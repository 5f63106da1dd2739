/**
 * A local fake of the IAM Service Account Credentials API (google.iam.credentials.v1.IAMCredentials) over
 * gRPC, built from the protos `@google-cloud/iam-credentials` ships, so the real IAMCredentialsClient talks
 * to it (as the fake KMS and fake Cloud Workstations do). It models GenerateAccessToken as billing uses it:
 * the name must be `projects/-/serviceAccounts/<email>`, the caller may impersonate only the accounts it
 * was granted (roles/iam.serviceAccountTokenCreator; others → PERMISSION_DENIED), at least one scope, and a
 * lifetime of at most 3600 s (longer → INVALID_ARGUMENT, as without the lifetime-extension org policy).
 * Issued tokens are remembered so tests can ask which account and scopes one carries.
 * What it does not model: delegates, GenerateIdToken, SignBlob, SignJwt.
 *
 * Test infrastructure and sandbox stand-in: never point production at it.
 */
import crypto from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { FakeStatusError, loadClientServices, serveGrpc, unaryHandlers } from "../grpc-fake.js";

const NAME = /^projects\/-\/serviceAccounts\/([^/\s]+@[^/\s]+)$/;
export const MAX_LIFETIME_SECONDS = 3600;

export interface IssuedAccessToken {
  accessToken: string;
  serviceAccount: string;
  scope: string[];
  lifetimeSeconds: number;
  expireTime: Date;
}

export interface FakeIamCredentials {
  /** `127.0.0.1:<port>`: IAM_CREDENTIALS_API_ENDPOINT. */
  endpoint: string;
  /** Lets the caller impersonate this account (the tokenCreator grant). */
  grant(serviceAccount: string): void;
  /** What a token was issued for; undefined for a token this fake never issued. */
  tokenInfo(accessToken: string): IssuedAccessToken | undefined;
  issued: IssuedAccessToken[];
  stop(): Promise<void>;
}

const loadService = () =>
  loadClientServices(
    "@google-cloud/iam-credentials",
    ["google/iam/credentials/v1/iamcredentials.proto"],
    ["google.iam.credentials.v1.IAMCredentials"],
  )[0]!;

export async function startFakeIamCredentials(
  options: { now?: () => Date; port?: number } = {},
): Promise<FakeIamCredentials> {
  const now = options.now ?? (() => new Date());
  const granted = new Set<string>();
  const issued: IssuedAccessToken[] = [];

  const generateAccessToken = (request: {
    name?: string;
    scope?: string[];
    delegates?: string[];
    lifetime?: { seconds?: string | number } | null;
  }) => {
    const match = NAME.exec(request.name ?? "");
    if (!match) {
      throw new FakeStatusError(
        grpc.status.INVALID_ARGUMENT,
        `Invalid form of account ID ${request.name}. Should be [Gaia ID |Email |Unique ID |] of the account`,
      );
    }
    const account = match[1]!;
    if ((request.delegates ?? []).length > 0) {
      throw new FakeStatusError(
        grpc.status.UNIMPLEMENTED,
        "fake IAM Credentials: delegates are not modelled",
      );
    }
    if (!granted.has(account)) {
      throw new FakeStatusError(
        grpc.status.PERMISSION_DENIED,
        `Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).`,
      );
    }
    const scope = request.scope ?? [];
    if (scope.length === 0 || scope.some((s) => !/^https:\/\/www\.googleapis\.com\/auth\/[\w.-]+$/.test(s))) {
      throw new FakeStatusError(grpc.status.INVALID_ARGUMENT, `Invalid scope list: ${JSON.stringify(scope)}`);
    }
    const lifetimeSeconds = request.lifetime ? Number(request.lifetime.seconds ?? 0) : MAX_LIFETIME_SECONDS;
    if (!(lifetimeSeconds >= 1 && lifetimeSeconds <= MAX_LIFETIME_SECONDS)) {
      throw new FakeStatusError(
        grpc.status.INVALID_ARGUMENT,
        `The lifetime ${lifetimeSeconds}s is outside 1s..${MAX_LIFETIME_SECONDS}s (longer needs constraints/iam.allowServiceAccountCredentialLifetimeExtension)`,
      );
    }
    const expireTime = new Date(now().getTime() + lifetimeSeconds * 1000);
    const token: IssuedAccessToken = {
      accessToken: `ya29.fake-${crypto.randomBytes(24).toString("base64url")}`,
      serviceAccount: account,
      scope,
      lifetimeSeconds,
      expireTime,
    };
    issued.push(token);
    return {
      accessToken: token.accessToken,
      expireTime: { seconds: String(Math.floor(expireTime.getTime() / 1000)), nanos: 0 },
    };
  };

  const unimplemented = () => {
    throw new FakeStatusError(grpc.status.UNIMPLEMENTED, "fake IAM Credentials: not modelled");
  };
  const server = await serveGrpc(
    "fake IAM Credentials",
    [
      [
        loadService(),
        unaryHandlers("fake IAM Credentials", {
          GenerateAccessToken: generateAccessToken,
          GenerateIdToken: unimplemented,
          SignBlob: unimplemented,
          SignJwt: unimplemented,
        }),
      ],
    ],
    options.port,
  );
  return {
    endpoint: `127.0.0.1:${server.port}`,
    grant: (account) => void granted.add(account),
    tokenInfo: (accessToken) => issued.find((t) => t.accessToken === accessToken),
    issued,
    stop: () => server.stop(),
  };
}
