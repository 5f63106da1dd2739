/**
 * The frame of every account page: landmarks (banner, navigation, main, contentinfo), a skip link, the one
 * stylesheet and the one deferred script, and — for a signed-in person — the CSRF token in a <meta> tag
 * that account.js sends back as X-CSRF-Token. No inline script or style (the CSP forbids both).
 */
import type { Response } from "express";
import { html, type SafeHtml } from "./html.js";
import type { StaticFiles } from "./static-files.js";

export interface PageFrame {
  title: string;
  /** The signed-in person: shows their email, the navigation and the sign-out button. */
  signedIn?: { email: string; csrfToken: string } | undefined;
  /** A CSRF token for a page used by someone who may or may not be signed in (invitation acceptance). */
  csrfToken?: string | undefined;
  body: SafeHtml;
}

/** Renders a page frame as the response (the account pages' router makes the one instance). */
export type PageSend = (res: Response, frame: PageFrame, status?: number) => void;

export function renderPage(assets: StaticFiles, frame: PageFrame): string {
  const csrfToken = frame.signedIn?.csrfToken ?? frame.csrfToken;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
${csrfToken && html`<meta name="csrf-token" content="${csrfToken}">`}
<title>${frame.title} · CODITECT account</title>
<link rel="icon" href="${assets.url("favicon.svg")}" type="image/svg+xml">
<link rel="stylesheet" href="${assets.url("account.css")}">
<script src="${assets.url("account.js")}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<p class="brand"><a href="/account/">CODITECT account</a></p>
${
  frame.signedIn &&
  html`<nav aria-label="Account">
<ul>
<li><a href="/account/">Organizations</a></li>
</ul>
</nav>
<div class="who">
<span>Signed in as <strong>${frame.signedIn.email}</strong></span>
<form class="inline-form" data-api="/v1/account/sign-out" data-success="redirect:/account/sign-in">
<button type="submit" class="button-secondary">Sign out</button>
<p class="form-error" role="alert" data-error-for="" hidden></p>
</form>
</div>`
}
</header>
<main id="main" tabindex="-1">
<h1>${frame.title}</h1>
${frame.body}
</main>
<footer class="site-footer"><p>Questions? Write to your CODITECT contact or support.</p></footer>
</body>
</html>
`.toString();
}
