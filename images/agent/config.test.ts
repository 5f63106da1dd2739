import { describe, expect, it } from "vitest";
import { TIMING } from "../../lib/domain.js";
import type { AgentBuild } from "./build-info.js";
import { readAgentConfig } from "./config.js";

const JWKS = {
  keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "k1" }],
};
const PRODUCTION: AgentBuild = {
  mode: "production",
  licenseServer: "https://billing.coditect.ai",
  jwks: JWKS,
};
const KEY = { CODITECT_LICENSE_KEY: "K-1" };

describe("readAgentConfig", () => {
  it("applies defaults: container id = hostname, 5-minute heartbeat, docker", () => {
    const config = readAgentConfig({ CODITECT_LICENSE_KEY: "CODITECT-PRO-ABC", CODITECT_HOSTNAME: "box-1" });
    expect(config).toMatchObject({
      licenseKey: "CODITECT-PRO-ABC",
      containerId: "box-1",
      containerType: "docker",
      server: "https://api.coditect.ai",
      heartbeatIntervalMs: TIMING.heartbeatIntervalMs,
    });
  });

  it("reads every override and trims the server's trailing slash", () => {
    const config = readAgentConfig({
      CODITECT_LICENSE_KEY: "K-1",
      CODITECT_CONTAINER_ID: "abc123",
      CODITECT_CONTAINER_TYPE: "workstation",
      CODITECT_LICENSE_SERVER: "http://127.0.0.1:8080/",
      CODITECT_IP: "10.0.0.7",
      CODITECT_HEARTBEAT_INTERVAL_MS: "250",
      CODITECT_STATE_DIR: "/tmp/x",
    });
    expect(config).toMatchObject({
      containerId: "abc123",
      containerType: "workstation",
      server: "http://127.0.0.1:8080",
      ip: "10.0.0.7",
      heartbeatIntervalMs: 250,
    });
  });

  it("accepts an identity-token file instead of a license key", () => {
    expect(
      readAgentConfig({ CODITECT_IDENTITY_TOKEN_FILE: "/run/token", CODITECT_HOSTNAME: "ws" })
        .identityTokenFile,
    ).toBe("/run/token");
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ["no license key", {}, /^CODITECT_LICENSE_KEY is required/],
    ["an empty license key", { CODITECT_LICENSE_KEY: "" }, /^CODITECT_LICENSE_KEY is required/],
    ["a 51-character key", { CODITECT_LICENSE_KEY: "K".repeat(51) }, /^CODITECT_LICENSE_KEY .*50 characters/],
    [
      "a bad container type",
      { CODITECT_LICENSE_KEY: "K", CODITECT_CONTAINER_TYPE: "vm" },
      /^CODITECT_CONTAINER_TYPE .*"vm"/,
    ],
    [
      "a server that is not a URL",
      { CODITECT_LICENSE_KEY: "K", CODITECT_LICENSE_SERVER: "api" },
      /^CODITECT_LICENSE_SERVER .*"api"/,
    ],
    [
      "an ftp server",
      { CODITECT_LICENSE_KEY: "K", CODITECT_LICENSE_SERVER: "ftp://x" },
      /^CODITECT_LICENSE_SERVER/,
    ],
    [
      "a container id with a slash",
      { CODITECT_LICENSE_KEY: "K", CODITECT_CONTAINER_ID: "a/b" },
      /^CODITECT_CONTAINER_ID .*"a\/b"/,
    ],
    [
      "a zero interval",
      { CODITECT_LICENSE_KEY: "K", CODITECT_HEARTBEAT_INTERVAL_MS: "0" },
      /^CODITECT_HEARTBEAT_INTERVAL_MS/,
    ],
    ["an IP that is not one", { CODITECT_LICENSE_KEY: "K", CODITECT_IP: "300.1.1.1" }, /^CODITECT_IP/],
    [
      "plain http to a non-loopback server, even in development",
      { CODITECT_LICENSE_KEY: "K", CODITECT_LICENSE_SERVER: "http://billing.example" },
      /^CODITECT_LICENSE_SERVER must be https:\/\/, or http:\/\/ to a loopback address/,
    ],
    [
      "a server URL with credentials",
      { CODITECT_LICENSE_KEY: "K", CODITECT_LICENSE_SERVER: "https://u:p@billing.example" },
      /^CODITECT_LICENSE_SERVER must not carry credentials/,
    ],
    [
      "a payload user that is a name",
      { CODITECT_LICENSE_KEY: "K", CODITECT_PAYLOAD_USER: "coditect" },
      /^CODITECT_PAYLOAD_USER must be numeric uid:gid.*"coditect"/,
    ],
  ];
  it.each(bad)("rejects %s, naming the variable", (_label, env, message) => {
    expect(() => readAgentConfig(env)).toThrow(message);
  });

  it("never echoes the license key in an error", () => {
    expect(() => readAgentConfig({ CODITECT_LICENSE_KEY: "SECRET_with_underscore" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("SECRET") }),
    );
  });

  it("reads the payload user as numbers", () => {
    expect(readAgentConfig({ ...KEY, CODITECT_PAYLOAD_USER: "10001:10002" }).payloadUser).toEqual({
      uid: 10001,
      gid: 10002,
    });
    expect(readAgentConfig(KEY).payloadUser).toBeUndefined();
  });
});

describe("readAgentConfig in a production build (issue 13 §3)", () => {
  it("uses the built-in server and JWKS, and accepts the same server named in the environment", () => {
    expect(readAgentConfig(KEY, PRODUCTION)).toMatchObject({
      server: "https://billing.coditect.ai",
      buildMode: "production",
      jwks: JWKS,
    });
    expect(
      readAgentConfig({ ...KEY, CODITECT_LICENSE_SERVER: "https://billing.coditect.ai/" }, PRODUCTION).server,
    ).toBe("https://billing.coditect.ai");
  });

  it.each([
    ["a different https server", "https://licenses.attacker.example"],
    ["plain http on loopback", "http://127.0.0.1:8080"],
    ["plain http to the same host", "http://billing.coditect.ai"],
  ])("refuses %s with a message naming the fixed server", (_label, server) => {
    expect(() => readAgentConfig({ ...KEY, CODITECT_LICENSE_SERVER: server }, PRODUCTION)).toThrow(
      /^CODITECT_LICENSE_SERVER cannot change the license server of a production agent: it is fixed to https:\/\/billing\.coditect\.ai/,
    );
  });

  it("a development build takes the server from the environment and has no baked keys", () => {
    const config = readAgentConfig(
      { ...KEY, CODITECT_LICENSE_SERVER: "http://localhost:8080" },
      { mode: "development", licenseServer: "https://billing.coditect.ai" },
    );
    expect(config).toMatchObject({ server: "http://localhost:8080", buildMode: "development" });
    expect(config.jwks).toBeUndefined();
    expect(readAgentConfig(KEY, { mode: "development", licenseServer: "https://b.example" }).server).toBe(
      "https://b.example",
    );
  });
});
