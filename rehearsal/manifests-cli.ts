/**
 * `npm run manifests -- --stack <name> --out <dir>`: renders the stack offline (rehearsal/plan.ts, the
 * rehearsal's own render) and writes its Kubernetes manifests as YAML for GitOps tools (docs/manifests.md).
 * Exit codes: 0 written, 2 bad arguments, 1 the stack does not render.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseCommandLine } from "../lib/cli.js";

const USAGE =
  "usage: npm run manifests -- --stack <name> --out <dir>\n" +
  "Writes the stack's Kubernetes manifests (the objects `npm run rehearse` runs) as numbered YAML files and a\n" +
  "kustomization.yaml into <dir> (created; must be empty). Secrets are never written; values the stack leaves\n" +
  "to a human are rendered with offline stand-ins and listed at the top of the file holding them.";

function fail(code: number, message: string): never {
  process.stderr.write(`manifests: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const { values } = parseCommandLine({
    name: "manifests",
    usage: USAGE,
    options: { stack: { type: "string" }, out: { type: "string" } },
  });
  if (!values.stack) fail(2, `--stack is required\n${USAGE}`);
  if (!values.out) fail(2, `--out is required\n${USAGE}`);
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  // Stale files from another stack or an older render would be applied too: refuse to mix.
  const present = readdirSync(out);
  if (present.length > 0) fail(2, `--out "${out}" is not empty (${present.slice(0, 3).join(", ")}…)`);

  // Loaded only now: the Pulumi runtime takes seconds and is not needed for --help or a bad flag.
  const { renderForRehearsal } = await import("./plan.js");
  const { manifestFiles } = await import("./manifests.js");
  let rendered: Awaited<ReturnType<typeof renderForRehearsal>>;
  try {
    rendered = await renderForRehearsal(values.stack, (line) => process.stderr.write(`${line}\n`));
  } catch (error) {
    fail(1, `stack "${values.stack}" does not render: ${(error as Error).message}`);
  }
  const files = manifestFiles(rendered.rendered);
  for (const file of files) writeFileSync(join(out, file.name), file.content);
  process.stdout.write(`wrote ${files.map((f) => f.name).join(", ")} to ${out}\n`);
  if (rendered.standInsUsed.length > 0) {
    process.stderr.write(
      `manifests: offline stand-ins for ${rendered.standInsUsed.join(", ")}: set them in Pulumi.${values.stack}.yaml before applying\n`,
    );
  }
}

main().then(
  // The Pulumi runtime keeps handles open: exit once stdout is flushed.
  () => process.stdout.write("", () => process.exit(0)),
  (error: unknown) => fail(1, (error as Error).stack ?? String(error)),
);
