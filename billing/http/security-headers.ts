/**
 * Billing's security headers (issue 13, ADR 0141): helmet's, computed once at startup (ADR 0307). helmet
 * runs a chain of 13 middlewares per request (one closure hop each, the CSP re-serialized every time) to
 * set headers whose values never change here: no directive depends on the request (no nonces). So helmet
 * is run once against a recorder and the response gets the recorded header writes in the same order —
 * helmet stays the source of truth for names and values (billing/http/security-headers.test.ts pins them).
 */
import type { RequestHandler } from "express";
import helmet, { type HelmetOptions } from "helmet";

/** Billing serves JSON only: nothing may be loaded, framed or executed from its responses. HSTS: https-only. */
export const BILLING_HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
};

/** One header write helmet makes: set `name` to `value`, or remove `name` (value undefined). */
export type HeaderWrite = readonly [name: string, value: string | undefined];

/**
 * The header writes helmet makes for `options`, in order. Throws if a CSP directive is a function (a nonce:
 * per request) or helmet did not finish synchronously without error: such headers cannot be computed once.
 */
export function recordHelmetHeaders(options: HelmetOptions): HeaderWrite[] {
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === "object" ? Object.values(csp.directives ?? {}) : [];
  if (
    directives.some(
      (value) =>
        typeof value === "function" || (Array.isArray(value) && value.some((v) => typeof v === "function")),
    )
  ) {
    throw new Error(
      "a CSP directive is computed per request (a function); helmet's headers cannot be computed once",
    );
  }
  const writes: HeaderWrite[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      if (typeof value !== "string") throw new Error(`helmet set ${name} to a non-string value`);
      writes.push([name, value]);
    },
    removeHeader(name: string) {
      writes.push([name, undefined]);
    },
  };
  let finished = false;
  let failure: unknown;
  // helmet reads neither the request nor anything else of the response for static options.
  helmet(options)({} as never, recorder as never, (err?: unknown) => {
    finished = true;
    failure = err;
  });
  if (!finished || failure !== undefined) {
    throw new Error(
      "helmet's headers depend on the request (asynchronous or failing); they cannot be computed once",
      {
        cause: failure,
      },
    );
  }
  return writes;
}

/** Middleware giving every response the headers helmet would, from one recording made at startup. */
export function securityHeaders(options: HelmetOptions = BILLING_HELMET_OPTIONS): RequestHandler {
  const writes = recordHelmetHeaders(options);
  return (_req, res, next) => {
    for (const [name, value] of writes) {
      if (value === undefined) res.removeHeader(name);
      else res.setHeader(name, value);
    }
    next();
  };
}
