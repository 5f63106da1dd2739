/**
 * The pages' one stylesheet, one script and icon (billing/accounts/static/), read once at start and served under
 * a content-hash URL (`/account/static/account.css?v=<hash>`) so a browser may cache them for a year and a
 * deploy still reaches every browser at once. In the image the files sit next to the bundle
 * (/app/account-static, billing/Dockerfile), in the source tree next to this folder.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RequestHandler } from "express";

const FILES = {
  "account.css": "text/css; charset=utf-8",
  "account.js": "text/javascript; charset=utf-8",
  // Without an icon every browser asks for /favicon.ico: a 404 in the log of each page view.
  "favicon.svg": "image/svg+xml",
} as const;
export type StaticFileName = keyof typeof FILES;

interface StaticFile {
  body: Buffer;
  contentType: string;
  version: string;
}

function findStaticDir(moduleDir: string): string {
  const candidates = [join(moduleDir, "..", "static"), join(moduleDir, "account-static")];
  const found = candidates.find((dir) => existsSync(join(dir, "account.css")));
  if (!found) {
    throw new Error(
      `the account pages' static files are missing (looked in ${candidates.join(", ")}; the image must ship billing/accounts/static as account-static/)`,
    );
  }
  return found;
}

export class StaticFiles {
  readonly #files = new Map<string, StaticFile>();

  constructor(dir = findStaticDir(dirname(fileURLToPath(import.meta.url)))) {
    for (const [name, contentType] of Object.entries(FILES)) {
      const body = readFileSync(join(dir, name));
      const version = createHash("sha256").update(body).digest("base64url").slice(0, 16);
      this.#files.set(name, { body, contentType, version });
    }
  }

  /** The URL a page links to: changes whenever the file's content does. */
  url(name: StaticFileName): string {
    return `/account/static/${name}?v=${this.#files.get(name)!.version}`;
  }

  handler(): RequestHandler {
    return (req, res, next) => {
      const file = this.#files.get(String(req.params.file));
      if (!file) return next();
      res.setHeader("Content-Type", file.contentType);
      res.setHeader(
        "Cache-Control",
        req.query.v === file.version ? "public, max-age=31536000, immutable" : "no-cache",
      );
      res.setHeader("ETag", `"${file.version}"`);
      if (req.get("if-none-match") === `"${file.version}"`) return void res.status(304).end();
      res.send(file.body);
    };
  }
}
