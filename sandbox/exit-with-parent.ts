/**
 * Preloaded into every sandbox child (`node --import`). The sandbox gives each child a stdin pipe it
 * never writes to; the pipe closes when the sandbox process disappears without stopping its children
 * (SIGKILL, a crashed terminal). The child then sends itself SIGTERM and shuts down through its own
 * graceful path, so no orphan keeps a port or the PGlite directory busy. (`process.ppid` cannot be
 * polled for this: Node caches it at start.)
 */
const stdin = process.stdin;
stdin.on("data", () => {});
stdin.once("end", () => process.kill(process.pid, "SIGTERM"));
stdin.once("error", () => process.kill(process.pid, "SIGTERM"));
// Watching the pipe must not keep a child alive that would otherwise exit.
(stdin as unknown as { unref?: () => void }).unref?.();
