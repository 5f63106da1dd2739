import { describe, expect, it } from "vitest";
import { TIMING } from "../../lib/domain.js";
import { readAgentConfig } from "./config.js";

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
  ];
  it.each(bad)("rejects %s, naming the variable", (_label, env, message) => {
    expect(() => readAgentConfig(env)).toThrow(message);
  });

  it("never echoes the license key in an error", () => {
    expect(() => readAgentConfig({ CODITECT_LICENSE_KEY: "SECRET_with_underscore" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("SECRET") }),
    );
  });
});
