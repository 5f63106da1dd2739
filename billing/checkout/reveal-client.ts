/**
 * What a browser does around the one-time key reveal (issue 13 §9), for the non-browser clients that walk
 * the purchase: the sandbox journey test, the rehearsal and the journey benchmark. Keeps the reveal cookie
 * the checkout set and sends it back, with the success page's Origin, as the page's button would.
 */

/** The answer of POST /v1/checkout and the reveal cookie (`name=value`) it set. */
export interface StartedCheckout {
  status: number;
  body: Record<string, unknown>;
  cookie: string | undefined;
}

export async function startCheckout(billingUrl: string, request: unknown): Promise<StartedCheckout> {
  const response = await fetch(`${billingUrl}/v1/checkout`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  const text = await response.text();
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith("coditect_reveal_"));
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    cookie: setCookie?.split(";")[0],
  };
}

/**
 * Opens the success page (GET, JSON) to learn where its button posts, then posts there with the cookie and
 * the page's Origin. `billingUrl` is where billing is reached (it may differ from its public base URL).
 */
export async function revealLicenseKey(
  billingUrl: string,
  checkoutSessionId: string,
  cookie: string | undefined,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const query = `session_id=${encodeURIComponent(checkoutSessionId)}`;
  const page = await fetch(`${billingUrl}/v1/checkout/success?${query}`, {
    headers: { accept: "application/json" },
  });
  const view = (await page.json()) as { reveal?: { url: string } };
  if (!page.ok || !view.reveal) return { status: page.status, body: view as Record<string, unknown> };
  const target = new URL(view.reveal.url);
  const response = await fetch(`${billingUrl}${target.pathname}${target.search}`, {
    method: "POST",
    headers: { accept: "application/json", origin: target.origin, ...(cookie ? { cookie } : {}) },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
