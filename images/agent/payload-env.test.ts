import { describe, expect, it } from "vitest";
import { payloadEnvironment } from "./payload-env.js";

describe("payloadEnvironment", () => {
  it("drops the license key and the identity token path, keeps the rest, adds the session id", () => {
    const env = payloadEnvironment(
      {
        PATH: "/usr/bin",
        HOME: "/home/dev",
        CODITECT_LICENSE_KEY: "CODITECT-PRO-SECRET",
        CODITECT_IDENTITY_TOKEN_FILE: "/var/lib/coditect-agent/identity-token",
        CODITECT_CONTAINER_ID: "c-1",
      },
      "sess-1",
    );
    expect(env).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/dev",
      CODITECT_CONTAINER_ID: "c-1",
      CODITECT_SESSION_ID: "sess-1",
    });
  });
});
