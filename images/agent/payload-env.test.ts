import { describe, expect, it } from "vitest";
import { payloadEnvironment, payloadUserEnvironment } from "./payload-env.js";

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

describe("payloadUserEnvironment", () => {
  const passwd = [
    "root:x:0:0:root:/root:/bin/bash",
    "coditect:x:10001:10001::/home/coditect:/bin/bash",
    "",
  ].join("\n");
  it("gives the payload user's HOME, USER and LOGNAME", () => {
    expect(payloadUserEnvironment(passwd, 10001)).toEqual({
      HOME: "/home/coditect",
      USER: "coditect",
      LOGNAME: "coditect",
    });
  });
  it("gives nothing for a uid without an entry (the image's own HOME stays)", () => {
    expect(payloadUserEnvironment(passwd, 1000)).toEqual({});
    expect(payloadUserEnvironment("", 10001)).toEqual({});
  });
});
