/**
 * The script-free "Sign in with Google" of the account pages (ADR 0286): OpenID Connect's authorization
 * code flow, server side. Starting sets one short-lived cookie holding a random `state` (ties Google's answer
 * to this browser: login CSRF), `nonce` (ties the ID token to this request: no replayed token) and PKCE
 * verifier (a stolen code is useless without it); Google's answer comes back to the callback, which checks
 * the state, exchanges the code with the client secret and the verifier, and signs in with the ID token
 * through the same code path as POST /v1/account/sign-in/google (auth/google.ts), requiring the nonce.
 * Pure decisions here plus one I/O shell (`exchangeCode`); the routes are in pages/google-sign-in-routes.ts.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { AccountGoogleConfig } from "../../config.js";
import { ApiError } from "../../http/errors.js";

export const GOOGLE_FLOW_COOKIE = "coditect_google_sign_in";
/** Time to choose an account at Google; Google's codes themselves last about as long. */
export const GOOGLE_FLOW_LIFETIME_MS = 10 * 60 * 1000;
export const GOOGLE_START_PATH = "/account/sign-in/google";
export const GOOGLE_CALLBACK_PATH = "/account/sign-in/google/callback";
/** A hung token endpoint must not hold the person's browser for long. */
export const TOKEN_EXCHANGE_TIMEOUT_MS = 10_000;

export type GoogleCodeFlow = NonNullable<AccountGoogleConfig["codeFlow"]>;

/** What the browser keeps between the start and the callback (not secret from its own holder). */
export interface PendingGoogleSignIn {
  state: string;
  nonce: string;
  verifier: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const random = () => randomBytes(32).toString("base64url");
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const redirectUri = (publicBaseUrl: string) => `${publicBaseUrl}${GOOGLE_CALLBACK_PATH}`;
/** PKCE S256 (RFC 7636 §4.2). */
export const codeChallenge = (verifier: string) =>
  createHash("sha256").update(verifier, "ascii").digest("base64url");

/** A new pending sign-in and the authorization URL the browser is sent to. */
export function startGoogleSignIn(
  google: Pick<AccountGoogleConfig, "clientId">,
  codeFlow: GoogleCodeFlow,
  publicBaseUrl: string,
  now: Date,
): { location: string; pending: PendingGoogleSignIn } {
  const pending = {
    state: random(),
    nonce: random(),
    verifier: random(),
    expiresAt: now.getTime() + GOOGLE_FLOW_LIFETIME_MS,
  };
  const url = new URL(codeFlow.authorizationUrl);
  url.search = new URLSearchParams({
    client_id: google.clientId,
    redirect_uri: redirectUri(publicBaseUrl),
    response_type: "code",
    scope: "openid email",
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: codeChallenge(pending.verifier),
    code_challenge_method: "S256",
    // Always ask which account: a shared computer's last Google user is not necessarily this person.
    prompt: "select_account",
  }).toString();
  return { location: url.toString(), pending };
}

const cookiePath = (publicBaseUrl: string) =>
  `${new URL(publicBaseUrl).pathname.replace(/\/$/, "")}${GOOGLE_START_PATH}`;

/** Set-Cookie of a pending sign-in: HttpOnly, Secure, SameSite=Lax (sent on Google's top-level redirect back). */
export function pendingSetCookie(pending: PendingGoogleSignIn, publicBaseUrl: string): string {
  const value = Buffer.from(JSON.stringify(pending), "utf8").toString("base64url");
  return [
    `${GOOGLE_FLOW_COOKIE}=${value}`,
    // Sent only to the start and the callback.
    `Path=${cookiePath(publicBaseUrl)}`,
    `Max-Age=${GOOGLE_FLOW_LIFETIME_MS / 1000}`,
    "HttpOnly",
    "Secure",
    "SameSite=Lax",
  ].join("; ");
}

/** The callback clears the pending sign-in whatever the outcome: each state is used once. */
export function pendingClearCookie(publicBaseUrl: string): string {
  return `${GOOGLE_FLOW_COOKIE}=; Path=${cookiePath(publicBaseUrl)}; Max-Age=0; HttpOnly; Secure; SameSite=Lax`;
}

/** The cookie's pending sign-in, or undefined when absent or not one of ours (shape checked, pure). */
export function readPending(value: string | undefined): PendingGoogleSignIn | undefined {
  if (!value || value.length > 1000) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  const p = parsed as Partial<PendingGoogleSignIn> | null;
  if (
    !p ||
    typeof p.state !== "string" ||
    !TOKEN.test(p.state) ||
    typeof p.nonce !== "string" ||
    !TOKEN.test(p.nonce) ||
    typeof p.verifier !== "string" ||
    !TOKEN.test(p.verifier) ||
    typeof p.expiresAt !== "number"
  ) {
    return undefined;
  }
  return { state: p.state, nonce: p.nonce, verifier: p.verifier, expiresAt: p.expiresAt };
}

/** Compares digests, so the time taken says nothing about how much of the state was right. */
const sameSecret = (a: string, b: string) =>
  timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());

const START_AGAIN = "Start again with “Sign in with Google”, or use the email link.";

/**
 * Google's answer at the callback against the browser's pending sign-in (pure): the code to exchange, or the
 * refusal to show. Every refusal is a 4xx and nothing has been created.
 */
export function checkCallback(
  query: Record<string, unknown>,
  pending: PendingGoogleSignIn | undefined,
  now: Date,
): { code: string; pending: PendingGoogleSignIn } | ApiError {
  const error = query.error;
  if (error !== undefined) {
    if (error === "access_denied") {
      return new ApiError(
        401,
        "google_access_denied",
        `You did not let Google share your account with CODITECT, so you are not signed in. ${START_AGAIN}`,
      );
    }
    const said = typeof error === "string" ? error.slice(0, 100) : "an error";
    return new ApiError(400, "google_error", `Google refused the sign-in (${said}). ${START_AGAIN}`);
  }
  if (!pending || now.getTime() >= pending.expiresAt) {
    return new ApiError(
      400,
      "google_sign_in_expired",
      `This Google sign-in was not started in this browser, or took longer than 10 minutes. ${START_AGAIN}`,
    );
  }
  if (typeof query.state !== "string" || !sameSecret(query.state, pending.state)) {
    return new ApiError(
      400,
      "google_state_mismatch",
      `Google's answer does not belong to the sign-in started in this browser. ${START_AGAIN}`,
    );
  }
  const code = query.code;
  if (typeof code !== "string" || code.length === 0 || code.length > 2048) {
    return new ApiError(
      400,
      "google_code_missing",
      `Google's answer carries no sign-in code. ${START_AGAIN}`,
    );
  }
  return { code, pending };
}

/**
 * Exchanges the code at Google's token endpoint (client_secret_post, the PKCE verifier) for the ID token.
 * Google refusing the code is a 401 (start again); Google unreachable or answering nonsense is a 502.
 * Neither the secret, the code nor the verifier is ever put into an error or a log line.
 */
export async function exchangeCode(
  google: Pick<AccountGoogleConfig, "clientId">,
  codeFlow: GoogleCodeFlow,
  publicBaseUrl: string,
  code: string,
  verifier: string,
): Promise<string> {
  let response: Response;
  try {
    response = await fetch(codeFlow.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri(publicBaseUrl),
        client_id: google.clientId,
        client_secret: codeFlow.clientSecret,
        code_verifier: verifier,
      }),
      signal: AbortSignal.timeout(TOKEN_EXCHANGE_TIMEOUT_MS),
    });
  } catch {
    throw unreachable("could not be reached");
  }
  const body = (await response.json().catch(() => undefined)) as
    | { id_token?: unknown; error?: unknown }
    | undefined;
  if (response.status >= 400 && response.status < 500) {
    const said = typeof body?.error === "string" ? ` (${body.error.slice(0, 100)})` : "";
    throw new ApiError(
      401,
      "google_code_refused",
      `Google refused the sign-in code${said}; it may have expired or been used. ${START_AGAIN}`,
    );
  }
  if (!response.ok) throw unreachable(`answered ${response.status}`);
  if (typeof body?.id_token !== "string" || body.id_token.length > 8192) {
    throw unreachable("answered without an ID token");
  }
  return body.id_token;
}

function unreachable(what: string): ApiError {
  return new ApiError(
    502,
    "google_unavailable",
    `Google's sign-in service ${what}; try again in a minute, or use the email link.`,
  );
}
