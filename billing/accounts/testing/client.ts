/**
 * Test infrastructure for /v1/account tests: JSON calls against the billing harness, and reading the
 * sign-in / invitation links out of the outbox the way a person reads them out of their mail. The
 * organization with one person per role is organization.ts.
 */
import type { BillingHarness } from "../../testing/harness.js";
import type { TestAccount } from "./sign-in.js";

export interface CallResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely in assertions
  body: any;
  headers: Headers;
}

export async function call(
  h: BillingHarness,
  method: string,
  path: string,
  options: { as?: TestAccount | undefined; body?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = {
    ...(options.as ? options.as.headers : {}),
    ...(options.body === undefined ? {} : { "content-type": "application/json" }),
    ...options.headers,
  };
  const res = await fetch(`${h.url}/v1/account${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** The newest link of `kind` mailed to `to` (from the outbox row's template data), with its token. */
export async function mailedLink(
  h: BillingHarness,
  kind: "sign_in_link" | "invitation",
  to: string,
): Promise<{ url: string; token: string; count: number }> {
  const field = kind === "sign_in_link" ? "signInUrl" : "acceptUrl";
  const rows = await h.pool.query<{ data: Record<string, string> }>(
    "SELECT data FROM notification_outbox WHERE kind = $1 AND recipient = $2 ORDER BY id DESC",
    [kind, to],
  );
  const url = rows.rows[0]?.data[field];
  if (!url) throw new Error(`no ${kind} mailed to ${to}`);
  return { url, token: new URL(url).searchParams.get("token")!, count: rows.rows.length };
}

/** The Cookie header a browser would send after this Set-Cookie. */
export function cookieFrom(setCookie: string | null): string {
  if (!setCookie) throw new Error("no Set-Cookie");
  return setCookie.split(";")[0]!;
}
