/**
 * Time moves license states without any event (a period ends, a grace period runs out, a warning window
 * opens). refreshLicenseStates re-decides every license at the clock's now and writes (and audits, as
 * `system:clock`) only those whose decision changed.
 */
import { withTransaction } from "../db/tx.js";
import type { BillingDeps } from "../deps.js";
import { getLicense, updateLicense } from "./store.js";

export async function refreshLicenseStates(
  deps: Pick<BillingDeps, "db" | "clock" | "config">,
): Promise<string[]> {
  const ids = (await deps.db.query<{ id: string }>("SELECT id FROM licenses ORDER BY id")).rows.map(
    (r) => r.id,
  );
  const changed: string[] = [];
  for (const id of ids) {
    const updated = await withTransaction(deps.db, async (tx) => {
      const row = await getLicense(tx, id, { forUpdate: true });
      if (!row) return false;
      const after = await updateLicense(
        tx,
        row,
        {},
        {
          actor: "system:clock",
          action: "license.state_refreshed",
          now: deps.clock.now(),
          paymentGraceMs: deps.config.paymentGraceMs,
        },
      );
      return after !== row;
    });
    if (updated) changed.push(id);
  }
  return changed;
}
