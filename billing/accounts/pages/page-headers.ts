/**
 * Response headers of every /account/* response (ADR 0280). Billing's global CSP is `default-src 'none'`
 * (a JSON API loads nothing); the pages need exactly their own stylesheet, script and same-origin fetches,
 * so this replaces that one header for /account/* and keeps helmet's others (HSTS, nosniff, no-referrer).
 * No inline script or style is allowed: a value that slipped past escaping still could not run.
 */
import type { RequestHandler } from "express";

export const PAGE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "script-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export const pageHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader("Content-Security-Policy", PAGE_CSP);
  // Pages carry a CSRF token and one-time link tokens: never stored by a shared cache or the browser's.
  res.setHeader("Cache-Control", "no-store");
  // Magic-link and invitation tokens are in the URL: no Referer may carry them to another site.
  res.setHeader("Referrer-Policy", "no-referrer");
  next();
};
