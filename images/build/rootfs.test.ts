import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { userspec } from "./chroot.js";
import { frameworkViolations, groupsOf, setuidFiles, sudoRemnants } from "./rootfs.js";

const root = mkdtempSync(join(tmpdir(), "rootfs-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = (path: string, text: string, mode: number) => {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
  chmodSync(join(root, path), mode);
};

describe("the rootfs checks report each offending path", () => {
  it("frameworkViolations: a writable file, a non-executable entrypoint and a symbolic link", () => {
    file("opt/coditect/agent/agent.mjs", "", 0o444);
    file("opt/coditect/agent/notes.txt", "", 0o644);
    file("opt/coditect/bin/entry", "", 0o444);
    symlinkSync("/bin/sh", join(root, "opt/coditect/bin/sh"));
    for (const dir of ["opt/coditect", "opt/coditect/agent", "opt/coditect/bin"])
      chmodSync(join(root, dir), 0o555);
    const problems = frameworkViolations(root, "opt/coditect", ["/opt/coditect/bin/entry"]);
    expect(problems).toContainEqual(
      expect.stringMatching(/^\/opt\/coditect\/agent\/notes.txt: owner \d+:\d+ mode 0644/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/^\/opt\/coditect\/bin\/entry: .* mode 0444 \(want 0:0 0555\)/),
    );
    expect(problems).toContain("/opt/coditect/bin/sh: a symbolic link");
    expect(problems.some((p) => p.startsWith("/opt/coditect/agent/agent.mjs: owner 0:0"))).toBe(false);
  });

  it("setuidFiles finds SUID and SGID files, not /proc", () => {
    file("usr/bin/su", "", 0o4755);
    file("usr/bin/expiry", "", 0o2755);
    file("usr/bin/ls", "", 0o755);
    file("proc/1/fake", "", 0o4755);
    expect(setuidFiles(root)).toEqual(["/usr/bin/expiry", "/usr/bin/su"]);
  });

  it("groupsOf and sudoRemnants read /etc as a container has it", () => {
    file("etc/passwd", "root:x:0:0::/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/bash\n", 0o644);
    file("etc/group", "root:x:0:\nuser:x:1000:\nsudo:x:27:user\ndocker:x:999:other,user\n", 0o644);
    file("etc/sudoers.d/user", "user ALL=(ALL) NOPASSWD:ALL\n", 0o440);
    expect(groupsOf(root, "user")).toEqual(["docker", "sudo", "user"]);
    expect(sudoRemnants(root)).toEqual(["etc/sudoers.d"]);
  });
});

describe("userspec", () => {
  it("runs as the image's numeric USER, as root when there is none", () => {
    expect(userspec(undefined)).toEqual([]);
    expect(userspec("0:0")).toEqual([]);
    expect(userspec("65532:65532")).toEqual(["--userspec=65532:65532"]);
    expect(userspec("1000")).toEqual(["--userspec=1000:1000"]);
    expect(() => userspec("developer")).toThrow('image USER "developer" is not numeric uid[:gid]');
  });
});
