/**
 * The success page as HTML for browsers (JSON clients get the same facts as JSON, router.ts). No script and
 * no style: billing's CSP is `default-src 'none'` (ADR 0141), and a form posting to its own URL needs
 * neither. Every interpolated value is escaped.
 */
import { escapeHtml } from "../http/escape-html.js";
import type { PublicLicense } from "../licenses/row.js";

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

function licenseLine(license: PublicLicense): string {
  return `<p>License <code>${escapeHtml(license.id)}</code>: ${escapeHtml(license.tier)} for organization <code>${escapeHtml(license.organization)}</code>.</p>`;
}

/** GET: the purchase, and the button that reveals the key (a POST to this same URL) while it may. */
export function successPageHtml(input: {
  license: PublicLicense;
  revealUrl: string;
  revealable: boolean;
  message: string;
}): string {
  const button = input.revealable
    ? `<form method="post" action="${escapeHtml(input.revealUrl)}"><button type="submit">Show my license key</button></form>`
    : "";
  return page(
    "Thank you: your purchase is complete",
    `${licenseLine(input.license)}\n<p>${escapeHtml(input.message)}</p>\n${button}`,
  );
}

/** POST, revealed: the key, once. */
export function revealedKeyHtml(license: PublicLicense, key: string, message: string): string {
  return page(
    "Your license key",
    `${licenseLine(license)}\n<pre>${escapeHtml(key)}</pre>\n<p><strong>${escapeHtml(message)}</strong></p>`,
  );
}

/** POST, refused: why, and what to do. */
export function revealRefusedHtml(message: string): string {
  return page("The license key cannot be shown", `<p>${escapeHtml(message)}</p>`);
}
