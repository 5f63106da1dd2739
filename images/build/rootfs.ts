/**
 * Reading an image's exported root filesystem for the hardening checks (seeds C.6): its users and
 * groups, the files with a SUID/SGID bit, and what in the framework directory is not root-owned and
 * read-only. Each function returns what it found, so a failing test names the offending file or entry.
 */
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function readPasswd(root: string): PasswdEntry[] {
  return readFileSync(join(root, "etc", "passwd"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name, , uid, gid, , home] = line.split(":");
      return { name: name!, uid: Number(uid), gid: Number(gid), home: home ?? "" };
    });
}

export function readGroups(root: string): GroupEntry[] {
  return readFileSync(join(root, "etc", "group"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [name, , gid, members] = line.split(":");
      return { name: name!, gid: Number(gid), members: members ? members.split(",").filter(Boolean) : [] };
    });
}

/** The groups `user` belongs to: its primary group and every group listing it as a member. */
export function groupsOf(root: string, user: string): string[] {
  const entry = readPasswd(root).find((p) => p.name === user);
  const groups = readGroups(root);
  return groups
    .filter((g) => g.gid === entry?.gid || g.members.includes(user))
    .map((g) => g.name)
    .sort();
}

/** Walks the tree below `dir` (not following symbolic links), calling `visit` with each path. */
function walk(dir: string, visit: (path: string) => void, skip: ReadonlySet<string> = new Set()): void {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (skip.has(path)) continue;
    visit(path);
    if (lstatSync(path).isDirectory()) walk(path, visit, skip);
  }
}

/** Paths (relative to the root) of regular files with a SUID or SGID bit, outside /proc, /sys and /dev. */
export function setuidFiles(root: string): string[] {
  const found: string[] = [];
  const skip = new Set(["proc", "sys", "dev"].map((d) => join(root, d)));
  walk(
    root,
    (path) => {
      const stat = lstatSync(path);
      if (stat.isFile() && (stat.mode & 0o6000) !== 0) found.push(path.slice(root.length));
    },
    skip,
  );
  return found.sort();
}

/**
 * What in the framework directory breaks "root-owned, files 0444, directories and executables 0555":
 * one line per offending path with its owner and mode. `executables` are paths (relative to the root)
 * that must be 0555 rather than 0444.
 */
export function frameworkViolations(root: string, dir: string, executables: readonly string[]): string[] {
  const problems: string[] = [];
  const check = (path: string) => {
    const stat = lstatSync(path);
    const relative = path.slice(root.length);
    const mode = stat.mode & 0o7777;
    const wanted = stat.isDirectory() || executables.includes(relative) ? 0o555 : 0o444;
    if (stat.isSymbolicLink()) problems.push(`${relative}: a symbolic link`);
    else if (stat.uid !== 0 || stat.gid !== 0 || mode !== wanted)
      problems.push(
        `${relative}: owner ${stat.uid}:${stat.gid} mode ${mode.toString(8).padStart(4, "0")} (want 0:0 ${wanted.toString(8).padStart(4, "0")})`,
      );
  };
  check(join(root, dir));
  walk(join(root, dir), check);
  return problems;
}

/** Every `sudo` executable on the usual PATH directories, and any sudoers file or directory. */
export function sudoRemnants(root: string): string[] {
  const candidates = [
    ...["usr/bin", "bin", "usr/sbin", "sbin", "usr/local/bin", "usr/local/sbin"].map((d) => `${d}/sudo`),
    "etc/sudoers",
    "etc/sudoers.d",
  ];
  return candidates.filter((c) => {
    try {
      lstatSync(join(root, c));
      return true;
    } catch {
      return false;
    }
  });
}
