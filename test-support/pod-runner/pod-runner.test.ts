import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../wait.js";
import { namespaceScript, type RunningPod, startPod, tmpfsSize } from "./index.js";

// node is bind-mounted into each pod (as the rehearsal does): the host path may sit under /tmp, which the
// pods below cover with an emptyDir.
const NODE_MOUNT = {
  kind: "bind" as const,
  path: "/nodejs/bin",
  source: dirname(process.execPath),
  readOnly: true,
};
const NODE = `/nodejs/bin/${basename(process.execPath)}`;
const running: RunningPod[] = [];
afterEach(async () => {
  for (const pod of running.splice(0)) await pod.stop();
});

describe("namespaceScript", () => {
  it("mounts parents before children, remounts file volumes read-only and execs as the user", () => {
    const script = namespaceScript(
      {
        name: "x",
        argv: ["/bin/true"],
        workingDir: "/app",
        env: {},
        user: { uid: 65532, gid: 65532 },
        mounts: [
          { kind: "files", path: "/app/conf", files: { a: "1" } },
          { kind: "bind", path: "/app", source: "/srv/app" },
          { kind: "tmpfs", path: "/tmp", sizeLimit: "64Mi" },
        ],
      },
      ["/staging/volume-0", undefined, undefined],
      "/staging",
    );
    const lines = script.split("\n");
    expect(lines.indexOf("mount --bind '/staging/bind-1' '/app'")).toBeLessThan(
      lines.indexOf("mount --bind '/staging/volume-0' '/app/conf'"),
    );
    expect(lines.indexOf("mount --bind '/srv/app' '/staging/bind-1'")).toBeLessThan(
      lines.indexOf("mount -t tmpfs -o size=64m,mode=1777 tmpfs '/tmp'"),
    );
    expect(lines).toContain("mount -o remount,bind,ro '/app/conf'");
    expect(lines).toContain("mount -t tmpfs -o size=64m,mode=1777 tmpfs '/tmp'");
    expect(lines.at(-1)).toBe('exec setpriv --reuid=65532 --regid=65532 --clear-groups -- "$@"');
  });

  it("refuses a relative mount path and an unknown size unit", () => {
    expect(() =>
      namespaceScript(
        {
          name: "x",
          argv: ["/bin/true"],
          workingDir: "/",
          env: {},
          mounts: [{ kind: "tmpfs", path: "tmp" }],
        },
        [],
        "/s",
      ),
    ).toThrow(/mount path "tmp" is not absolute/);
    expect(() => tmpfsSize("1T")).toThrow(/unsupported emptyDir sizeLimit "1T"/);
  });
});

describe("startPod", () => {
  it("runs the process with exactly its env, as its user, with its volumes at the real paths only inside", async () => {
    const appDir = mkdtempSync(join(tmpdir(), "pod-runner-app-"));
    chmodSync(appDir, 0o755);
    const mountRoot = `/run/pod-runner-test-${process.pid}`;
    try {
      writeFileSync(
        join(appDir, "main.mjs"),
        [
          'import { readFileSync, writeFileSync, statSync } from "node:fs";',
          "let tmpWritable = true; try { writeFileSync('/tmp/x', 'y'); } catch { tmpWritable = false; }",
          "let rootWritable = true; try { writeFileSync('/pod-runner-root-test', 'y'); } catch (e) { rootWritable = e.code; }",
          "let secretWritable = true; try { writeFileSync(process.env.SECRETS + '/new', 'y'); } catch { secretWritable = false; }",
          "console.log(JSON.stringify({ env: process.env, uid: process.getuid(), gid: process.getgid(), cwd: process.cwd(),",
          "  secret: readFileSync(process.env.SECRETS + '/token', 'utf8'), tmpWritable, secretWritable, rootWritable }));",
        ].join("\n"),
      );
      const pod = await startPod({
        name: "probe",
        argv: [NODE, "main.mjs"],
        workingDir: join(mountRoot, "app"),
        env: { SECRETS: join(mountRoot, "secrets"), GREETING: 'it\'s "quoted" $HOME' },
        user: { uid: 65532, gid: 65532 },
        readOnlyRootFilesystem: true,
        mounts: [
          NODE_MOUNT,
          { kind: "bind", path: join(mountRoot, "app"), source: appDir },
          { kind: "files", path: join(mountRoot, "secrets"), files: { token: "s3cret" } },
          { kind: "tmpfs", path: "/tmp" },
        ],
      });
      running.push(pod);
      const exit = await pod.exited;
      expect(exit.code, pod.logs()).toBe(0);
      const seen = JSON.parse(pod.logs().trim().split("\n").at(-1)!);
      expect(seen.env).toEqual({ SECRETS: join(mountRoot, "secrets"), GREETING: 'it\'s "quoted" $HOME' });
      expect([seen.uid, seen.gid]).toEqual([65532, 65532]);
      expect(seen.cwd).toBe(join(mountRoot, "app"));
      expect(seen.secret).toBe("s3cret");
      expect(seen.tmpWritable).toBe(true);
      expect(seen.secretWritable).toBe(false);
      expect(seen.rootWritable).toBe("EROFS");
      // Outside the namespace: only empty mount-point directories, and the host /tmp never saw /tmp/x.
      expect(readdirSync(join(mountRoot, "secrets"))).toEqual([]);
      expect(existsSync("/tmp/x")).toBe(false);
    } finally {
      rmSync(appDir, { recursive: true, force: true });
      rmSync(mountRoot, { recursive: true, force: true });
    }
  });

  it("stop() ends the whole process group", async () => {
    const pod = await startPod({
      name: "sleeper",
      argv: [
        NODE,
        "-e",
        "require('node:child_process').spawn('sleep', ['300'], { stdio: 'inherit' }); setInterval(() => {}, 1000)",
      ],
      workingDir: "/",
      env: { PATH: "/usr/bin:/bin" },
      mounts: [NODE_MOUNT],
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(pod.exitStatus()).toBeNull();
    const exit = await pod.stop(2000);
    expect(exit.code === null || exit.code !== 0).toBe(true);
    await waitFor("the process group to be gone", () => {
      try {
        process.kill(-pod.pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });
});
