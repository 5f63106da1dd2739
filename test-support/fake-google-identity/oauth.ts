/**
 * The OAuth 2.0 / OpenID Connect half of the fake Google (the pages' code flow, ADR 0286): an authorization
 * endpoint where the person a test chose "consents" at once (or refuses), and a token endpoint that checks
 * what Google checks — client id and secret, the code (known, unused, unexpired, this client's), the same
 * redirect_uri as the authorization request, the PKCE verifier against the S256 challenge — and answers with
 * an ID token carrying the request's nonce, signed by the fake's keys.
 */
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JWTPayload } from "jose";

export interface FakeOAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

/** Who consents at the authorization endpoint: an account (optionally unverified, with odd claims or signed
 * by a forger's key), or "deny" (the person presses Cancel: error=access_denied). */
export type FakeConsent =
  | { email: string; emailVerified?: boolean; claims?: JWTPayload; forged?: boolean }
  | "deny";

export interface MintRequest {
  consent: Exclude<FakeConsent, "deny">;
  clientId: string;
  nonce: string | undefined;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | undefined;
  consent: Exclude<FakeConsent, "deny">;
  expiresAt: number;
  used: boolean;
}

export interface TokenRequestRecord {
  params: Record<string, string>;
  status: number;
}

/** Google's codes are short-lived; a test with a ManualClock stays well within this. */
const CODE_LIFETIME_MS = 5 * 60 * 1000;

export class FakeOAuth {
  readonly clients = new Map<string, FakeOAuthClient>();
  readonly tokenRequests: TokenRequestRecord[] = [];
  readonly #codes = new Map<string, IssuedCode>();
  #consent: FakeConsent | undefined;
  #failNext: { status: number; body: unknown } | undefined;

  readonly #now: () => Date;
  readonly #mint: (request: MintRequest) => Promise<string>;

  constructor(now: () => Date, mint: (request: MintRequest) => Promise<string>) {
    this.#now = now;
    this.#mint = mint;
  }

  consent(who: FakeConsent): void {
    this.#consent = who;
  }

  failNextTokenRequest(status: number, body: unknown = { error: "internal_failure" }): void {
    this.#failNext = { status, body };
  }

  /** GET /o/oauth2/v2/auth */
  authorize(url: URL, res: ServerResponse) {
    const q = url.searchParams;
    const client = this.clients.get(q.get("client_id") ?? "");
    // Google shows its own error page (no redirect) for a bad client or redirect URI.
    if (!client) return text(res, 400, "Error 401: invalid_client (the OAuth client was not found)");
    const redirectUri = q.get("redirect_uri") ?? "";
    if (!client.redirectUris.includes(redirectUri)) {
      return text(res, 400, `Error 400: redirect_uri_mismatch (${redirectUri})`);
    }
    const back = new URL(redirectUri);
    const state = q.get("state");
    if (state !== null) back.searchParams.set("state", state);
    const problem =
      q.get("response_type") !== "code"
        ? "unsupported_response_type"
        : !(q.get("scope") ?? "").split(" ").includes("openid")
          ? "invalid_scope"
          : q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")
            ? "invalid_request"
            : undefined;
    if (problem) back.searchParams.set("error", problem);
    else if (this.#consent === undefined) {
      return text(res, 400, "the fake Google has no consent: a test must call consent() first");
    } else if (this.#consent === "deny") back.searchParams.set("error", "access_denied");
    else {
      const code = `4/${randomBytes(24).toString("base64url")}`;
      this.#codes.set(code, {
        clientId: client.clientId,
        redirectUri,
        challenge: q.get("code_challenge")!,
        nonce: q.get("nonce") ?? undefined,
        consent: this.#consent,
        expiresAt: this.#now().getTime() + CODE_LIFETIME_MS,
        used: false,
      });
      back.searchParams.set("code", code);
    }
    res.writeHead(302, { location: back.toString() });
    res.end();
  }

  /** POST /token (application/x-www-form-urlencoded; client_secret_post or HTTP Basic). */
  async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
    const answer = (status: number, body: unknown) => {
      this.tokenRequests.push({ params, status });
      json(res, status, body);
    };
    if (this.#failNext) {
      const { status, body } = this.#failNext;
      this.#failNext = undefined;
      return answer(status, body);
    }
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const [basicId, basicSecret] = basic ? Buffer.from(basic, "base64").toString("utf8").split(":") : [];
    const clientId = params.client_id ?? basicId ?? "";
    const secret = params.client_secret ?? basicSecret;
    const client = this.clients.get(clientId);
    if (!client || secret !== client.clientSecret) {
      return answer(401, { error: "invalid_client", error_description: "Unauthorized" });
    }
    if (params.grant_type !== "authorization_code") return answer(400, { error: "unsupported_grant_type" });
    const issued = this.#codes.get(params.code ?? "");
    const invalidGrant = (description: string) =>
      answer(400, { error: "invalid_grant", error_description: description });
    if (!issued || issued.clientId !== clientId) return invalidGrant("Malformed auth code.");
    if (issued.used) return invalidGrant("Bad Request");
    issued.used = true; // one attempt per code, as at Google
    if (this.#now().getTime() >= issued.expiresAt) return invalidGrant("Bad Request");
    if (params.redirect_uri !== issued.redirectUri) {
      return answer(400, { error: "redirect_uri_mismatch", error_description: "Bad Request" });
    }
    const verifier = params.code_verifier ?? "";
    if (createHash("sha256").update(verifier, "ascii").digest("base64url") !== issued.challenge) {
      return invalidGrant("Invalid code verifier.");
    }
    const idToken = await this.#mint({ consent: issued.consent, clientId, nonce: issued.nonce });
    answer(200, {
      access_token: `ya29.${randomBytes(24).toString("base64url")}`,
      expires_in: 3599,
      token_type: "Bearer",
      scope: "openid https://www.googleapis.com/auth/userinfo.email",
      id_token: idToken,
    });
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
