/** The sessions API as billing's real app serves it (createApp), with keys from configuration. */

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../lib/clock.js";
import { exportPrivateJwk, generateSigningKey } from "../../lib/offline-tokens/index.js";
import { createApp } from "../app.js";
import { type SessionsHarness, startSessionsHarness } from "./test-harness.js";

describe("sessions API mounted in billing's app", () => {
  let h: SessionsHarness;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const key = await generateSigningKey("configured-2026-03");
    h = await startSessionsHarness(new ManualClock("2026-03-01T12:00:00Z"), {}, "sessions_app");
    // OFFLINE_TOKEN_KEYS as billing/config.ts reads it.
    const config = {
      ...h.deps.config,
      offlineTokenKeys: { OFFLINE_TOKEN_KEYS: JSON.stringify({ current: exportPrivateJwk(key) }) },
    };
    server = createApp({ ...h.deps, config }).listen(0, "127.0.0.1");
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  });

  it("publishes the configured key and admits a container", async () => {
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual(["configured-2026-03"]);
    const lic = await h.createLicense("starter");
    const res = await fetch(`${url}/v1/sessions/validate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ licenseKey: lic.key, containerId: "box", containerType: "docker" }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { offlineToken: string };
    const header = body.offlineToken.split(".")[0]!;
    expect(JSON.parse(Buffer.from(header, "base64url").toString()).kid).toBe("configured-2026-03");
  });
});
