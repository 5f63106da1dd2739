/**
 * `npm run bench [-- <name-filter>]`: runs every bench/<name>.bench.ts in its own process, one after the
 * other (so they do not compete for the two cores), and lists the result files they wrote under
 * bench/results/. Each benchmark measures its own baseline in the same run and reports ratios against it.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCommandLine } from "../lib/cli.js";

const benchDir = dirname(fileURLToPath(import.meta.url));
const {
  positionals: [filter],
} = parseCommandLine({
  name: "bench",
  usage:
    "usage: npm run bench [-- <name-filter>]\nRuns each bench/<name>.bench.ts whose name contains the filter; results go to bench/results/.",
  maxPositionals: 1,
});
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => !filter || f.includes(filter))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches "${filter ?? ""}" in bench/ (files are named <area>.bench.ts)`);
  process.exit(2);
}

let failed = 0;
for (const file of files) {
  console.log(`\n==> ${file}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", join(benchDir, file)], { stdio: "inherit" });
  if (result.status !== 0) {
    failed += 1;
    console.error(`${file} failed with exit status ${result.status}`);
  }
}
console.log(`\nresults: ${join(benchDir, "results")}`);
process.exit(failed === 0 ? 0 : 1);
