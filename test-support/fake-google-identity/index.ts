/**
 * A local stand-in for Google's token signers: serves the two JWKS documents billing fetches (Google's
 * OAuth certs for ID tokens, RS256; IAP's public keys, ES256) over HTTP and mints tokens signed with the
 * matching private keys, so the verifying code runs as in production (remote JWKS fetch included).
 * Used by the admin API tests and the rehearsal (the admin's `gcloud auth print-identity-token`).
 * It also plays Google's OAuth endpoints for the account pages' code flow (oauth.ts): a test registers the
 * OAuth client and chooses who consents.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import {
  type FakeConsent,
  FakeOAuth,
  type FakeOAuthClient,
  type MintRequest,
  type TokenRequestRecord,
} from "./oauth.js";

export type { FakeConsent, FakeOAuthClient, TokenRequestRecord };

export const FAKE_GOOGLE_ISSUER = "https://accounts.google.com";
export const FAKE_IAP_ISSUER = "https://cloud.google.com/iap";

export interface TokenOptions {
  email: string;
  audience: string;
  /** Issue time (default: now). Tests with a ManualClock pass the clock's time. */
  now?: Date;
  /** Lifetime; Google's ID tokens and IAP assertions last one hour. */
  lifetimeSeconds?: number;
  issuer?: string;
  /** ID tokens only (default true). */
  emailVerified?: boolean;
  /** Extra or overriding claims. */
  claims?: JWTPayload;
}

export interface FakeGoogleIdentity {
  /** Where billing fetches the ID-token keys (stands in for https://www.googleapis.com/oauth2/v3/certs). */
  jwksUrl: string;
  /** Stands in for https://www.gstatic.com/iap/verify/public_key-jwk. */
  iapJwksUrl: string;
  /** A Google ID token as `gcloud auth print-identity-token` or the metadata server returns it. */
  idToken(options: TokenOptions): Promise<string>;
  /** An IAP `x-goog-iap-jwt-assertion`. */
  iapAssertion(options: TokenOptions): Promise<string>;
  /** An ID token signed by a key the JWKS does not publish (a forger's). */
  forgedIdToken(options: TokenOptions): Promise<string>;
  /** Stands in for https://accounts.google.com/o/oauth2/v2/auth. */
  authorizationUrl: string;
  /** Stands in for https://oauth2.googleapis.com/token. */
  tokenUrl: string;
  /** Registers an OAuth web client (id, secret, allowed redirect URIs), as in the Cloud console. */
  registerOAuthClient(client: FakeOAuthClient): void;
  /** Who consents at the authorization endpoint from now on (an account, or "deny"). */
  consent(who: FakeConsent): void;
  /** The token endpoint answers the next request with this status and body (Google failing). */
  failNextTokenRequest(status: number, body?: unknown): void;
  /** Every token request received (form parameters) and the status the fake answered. */
  tokenRequests: TokenRequestRecord[];
  stop(): Promise<void>;
}

export interface FakeGoogleOptions {
  /** Issue time of the ID tokens the token endpoint returns (tests with a ManualClock pass its time). */
  now?: () => Date;
}

const KID_RS = "fake-google-rs256";
const KID_ES = "fake-iap-es256";

export async function startFakeGoogleIdentity(options: FakeGoogleOptions = {}): Promise<FakeGoogleIdentity> {
  const now = options.now ?? (() => new Date());
  const google = await generateKeyPair("RS256");
  const iap = await generateKeyPair("ES256");
  const forger = await generateKeyPair("RS256");
  const publish = async (key: CryptoKey, kid: string, alg: string): Promise<JWK> => ({
    ...(await exportJWK(key)),
    kid,
    alg,
    use: "sig",
  });
  const documents: Record<string, string> = {
    "/oauth2/v3/certs": JSON.stringify({ keys: [await publish(google.publicKey, KID_RS, "RS256")] }),
    "/iap/verify/public_key-jwk": JSON.stringify({ keys: [await publish(iap.publicKey, KID_ES, "ES256")] }),
  };
  const mint = (r: MintRequest) =>
    (r.consent.forged ? forgedIdToken : idToken)({
      email: r.consent.email,
      audience: r.clientId,
      now: now(),
      emailVerified: r.consent.emailVerified ?? true,
      claims: { ...(r.nonce === undefined ? {} : { nonce: r.nonce }), ...r.consent.claims },
    });
  const oauth = new FakeOAuth(now, mint);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-google");
    if (req.method === "GET" && url.pathname === "/o/oauth2/v2/auth") return oauth.authorize(url, res);
    if (req.method === "POST" && url.pathname === "/token") {
      oauth.token(req, res).catch((error: unknown) => {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(error));
      });
      return;
    }
    const body = documents[url.pathname];
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(body ?? "{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sign = (key: CryptoKey, kid: string, alg: string, defaultIssuer: string, idToken: boolean) => {
    return (o: TokenOptions) => {
      const iat = Math.floor((o.now ?? new Date()).getTime() / 1000);
      return new SignJWT({
        email: o.email,
        ...(idToken ? { email_verified: o.emailVerified ?? true } : {}),
        ...o.claims,
      })
        .setProtectedHeader({ alg, kid, typ: "JWT" })
        .setIssuer(o.issuer ?? defaultIssuer)
        .setAudience(o.audience)
        .setSubject(idToken ? "1234567890" : "accounts.google.com:1234567890")
        .setIssuedAt(iat)
        .setExpirationTime(iat + (o.lifetimeSeconds ?? 3600))
        .sign(key);
    };
  };
  const idToken = sign(google.privateKey, KID_RS, "RS256", FAKE_GOOGLE_ISSUER, true);
  const forgedIdToken = sign(forger.privateKey, KID_RS, "RS256", FAKE_GOOGLE_ISSUER, true);
  return {
    jwksUrl: `${base}/oauth2/v3/certs`,
    iapJwksUrl: `${base}/iap/verify/public_key-jwk`,
    idToken,
    iapAssertion: sign(iap.privateKey, KID_ES, "ES256", FAKE_IAP_ISSUER, false),
    forgedIdToken,
    authorizationUrl: `${base}/o/oauth2/v2/auth`,
    tokenUrl: `${base}/token`,
    registerOAuthClient: (client) => void oauth.clients.set(client.clientId, client),
    consent: (who) => oauth.consent(who),
    failNextTokenRequest: (status, body) => oauth.failNextTokenRequest(status, body),
    tokenRequests: oauth.tokenRequests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
