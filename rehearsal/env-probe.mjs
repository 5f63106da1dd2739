// Rehearsal instrumentation (loaded with `node --import`): records every read of process.env as one JSON
// line { name, present, origin, frame } in the file named by REHEARSAL_ENV_PROBE_OUT, which it removes from
// the environment first so the process sees exactly the pod's variables. `origin` is "app" for code in the
// service bundle (/app/*.mjs), "dependency" for node_modules, "node" otherwise. Plain JS: it runs in the pod.
import { appendFileSync } from "node:fs";

const out = process.env.REHEARSAL_ENV_PROBE_OUT;
delete process.env.REHEARSAL_ENV_PROBE_OUT;

if (out) {
  const real = process.env;
  const seen = new Set();
  const self = import.meta.url;
  const callerFrame = () => {
    const lines = (new Error().stack ?? "").split("\n").slice(1);
    for (const line of lines) {
      if (line.includes(self) || line.includes("env-probe.mjs")) continue;
      // A schema validator reads the variables on behalf of its caller: attribute the read to the caller.
      if (line.includes("/node_modules/zod/")) continue;
      const m = line.match(/\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?\s*$/);
      if (m) return `${m[1].replace(/^file:\/\//, "")}:${m[2]}`;
    }
    return "";
  };
  const originOf = (frame) => {
    if (frame.includes("/node_modules/")) return "dependency";
    if (/^\/app\/[^/]+\.mjs:/.test(frame)) return "app";
    return "node";
  };
  // A spread or Object.assign copies every variable (ownKeys, then per key its descriptor, then get): that
  // is recorded once as an enumeration, not as a read of each; a direct read never asks for the descriptor.
  let copying = null;
  const record = (name, how) => {
    const frame = callerFrame();
    const origin = originOf(frame);
    const key = `${how}\u0000${name}\u0000${origin}`;
    if (seen.has(key)) return;
    seen.add(key);
    try {
      appendFileSync(out, `${JSON.stringify({ name, how, present: name in real, origin, frame })}\n`);
    } catch {
      // The probe must never change the process's behaviour.
    }
  };
  process.env = new Proxy(real, {
    get(target, name) {
      if (typeof name === "string" && name !== copying) record(name, "read");
      copying = null;
      return Reflect.get(target, name);
    },
    has(target, name) {
      if (typeof name === "string") record(name, "read");
      return Reflect.has(target, name);
    },
    ownKeys(target) {
      record("*", "enumerate");
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, name) {
      copying = name;
      return Reflect.getOwnPropertyDescriptor(target, name);
    },
  });
}
