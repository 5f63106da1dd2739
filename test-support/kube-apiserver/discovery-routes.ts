/**
 * Discovery, version, health and OpenAPI endpoints of the API test server.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { notFoundPath } from "./errors.js";
import type { HttpContext } from "./http.js";
import {
  openApiV2,
  openApiV2Protobuf,
  openApiV3GroupVersion,
  openApiV3Root,
  VERSION_INFO,
} from "./openapi.js";
import { sendJson } from "./request.js";

/** Answers GET requests for discovery/OpenAPI paths; returns false for anything else. */
export function serveDiscovery(
  ctx: HttpContext,
  req: IncomingMessage,
  res: ServerResponse,
  segments: string[],
): boolean {
  const path = segments.join("/");
  const { registry } = ctx;
  if (path === "version") {
    sendJson(res, 200, VERSION_INFO);
    return true;
  }
  if (path === "healthz" || path === "readyz" || path === "livez") {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end("ok");
    return true;
  }
  if (path === "api") {
    const host = req.headers.host ?? "127.0.0.1";
    sendJson(res, 200, {
      kind: "APIVersions",
      versions: ["v1"],
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: host }],
    });
    return true;
  }
  if (path === "api/v1") {
    sendJson(res, 200, registry.apiResourceList("", "v1"));
    return true;
  }
  if (path === "apis") {
    sendJson(res, 200, registry.apiGroupList());
    return true;
  }
  if (segments[0] === "apis" && segments.length === 2) {
    const group = registry.apiGroup(segments[1]!);
    if (!group) throw notFoundPath(`get /${path}`);
    sendJson(res, 200, group);
    return true;
  }
  if (segments[0] === "apis" && segments.length === 3) {
    const list = registry.apiResourceList(segments[1]!, segments[2]!);
    if (!list) throw notFoundPath(`get /${path}`);
    sendJson(res, 200, list);
    return true;
  }
  if (path === "openapi/v2") {
    if ((req.headers.accept ?? "").includes("protobuf")) {
      res.writeHead(200, { "Content-Type": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" });
      res.end(openApiV2Protobuf());
    } else {
      sendJson(res, 200, openApiV2(registry));
    }
    return true;
  }
  if (path === "openapi/v3") {
    sendJson(res, 200, openApiV3Root(registry));
    return true;
  }
  if (segments[0] === "openapi" && segments[1] === "v3" && segments.length >= 4) {
    const gv = segments.slice(2);
    const doc =
      gv[0] === "api"
        ? openApiV3GroupVersion(registry, "", gv[1]!)
        : openApiV3GroupVersion(registry, gv[1]!, gv[2] ?? "");
    if (!doc) throw notFoundPath(`get /${path}`);
    // The ?hash= query only lets clients cache; the document is always current.
    sendJson(res, 200, doc);
    return true;
  }
  return false;
}
