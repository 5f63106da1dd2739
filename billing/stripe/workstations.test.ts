/** The workstation quantity decision (ADR 0241) as a table: which are created, restored and removed. */
import { describe, expect, it } from "vitest";
import {
  MAX_WORKSTATIONS_PER_ITEM,
  type PurchasedWorkstation,
  planWorkstations,
  WORKSTATION_DELETE_GRACE_MS,
  type WorkstationLine,
  workstationIndex,
} from "./workstations.js";

const NOW = new Date("2026-06-15T12:00:00Z");
const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY);

const ws = (index: number, over: Partial<PurchasedWorkstation> = {}): PurchasedWorkstation => ({
  name: `ws-abc-0123456789-${index}`,
  stripe_subscription_item_id: "si_a",
  tier: "standard",
  assignee_user_id: `user-${index}`,
  created_at: daysAgo(30 - index),
  removal_requested_at: null,
  delete_after: null,
  ...over,
});
const line = (quantity: number, over: Partial<WorkstationLine> = {}): WorkstationLine => ({
  itemId: "si_a",
  tier: "standard",
  quantity,
  ...over,
});
const removed = (index: number, when: Date, over: Partial<PurchasedWorkstation> = {}) =>
  ws(index, {
    assignee_user_id: null,
    removal_requested_at: when,
    delete_after: new Date(when.getTime() + WORKSTATION_DELETE_GRACE_MS),
    ...over,
  });

describe("planWorkstations", () => {
  it.each<[string, WorkstationLine[], PurchasedWorkstation[], ReturnType<typeof planWorkstations>]>([
    [
      "unchanged quantity changes nothing",
      [line(2)],
      [ws(1), ws(2)],
      { create: [], restore: [], remove: [] },
    ],
    [
      "more: new ones with the next index",
      [line(4)],
      [ws(1), ws(2)],
      {
        create: [
          { itemId: "si_a", tier: "standard", index: 3 },
          { itemId: "si_a", tier: "standard", index: 4 },
        ],
        restore: [],
        remove: [],
      },
    ],
    [
      "fewer: unassigned ones go first",
      [line(2)],
      [ws(1), ws(2, { assignee_user_id: null }), ws(3)],
      { create: [], restore: [], remove: [ws(2).name] },
    ],
    [
      "fewer, all assigned: the most recently created go",
      [line(1)],
      [ws(1), ws(2), ws(3)],
      { create: [], restore: [], remove: [ws(3).name, ws(2).name] },
    ],
    [
      "same creation time: the highest index goes",
      [line(1)],
      [ws(1, { created_at: NOW }), ws(2, { created_at: NOW })],
      { create: [], restore: [], remove: [ws(2).name] },
    ],
    [
      "more again within the grace: the removed one comes back before a new one is made",
      [line(3)],
      [ws(1), removed(2, daysAgo(2)), removed(3, daysAgo(1))],
      { create: [], restore: [ws(3).name, ws(2).name], remove: [] },
    ],
    [
      "a removal past its deletion time is not restored; the index after it is used",
      [line(2)],
      [ws(1), removed(2, daysAgo(8))],
      { create: [{ itemId: "si_a", tier: "standard", index: 3 }], restore: [], remove: [] },
    ],
    [
      "an item gone from the subscription removes all of its workstations",
      [],
      [ws(1), ws(2, { assignee_user_id: null })],
      { create: [], restore: [], remove: [ws(2).name, ws(1).name] },
    ],
    [
      "a new workstation item starts at index 1",
      [line(1, { itemId: "si_b", tier: "power" })],
      [],
      { create: [{ itemId: "si_b", tier: "power", index: 1 }], restore: [], remove: [] },
    ],
    [
      "admin-granted rows (no subscription item) are not touched",
      [],
      [ws(1, { stripe_subscription_item_id: null })],
      { create: [], restore: [], remove: [] },
    ],
    [
      "already removed rows do not count as live",
      [line(1)],
      [ws(1), removed(2, daysAgo(1))],
      { create: [], restore: [], remove: [] },
    ],
  ])("%s", (_name, lines, rows, expected) => {
    expect(planWorkstations(lines, rows, NOW)).toEqual(expected);
  });

  it(`caps an item at ${MAX_WORKSTATIONS_PER_ITEM} workstations`, () => {
    const plan = planWorkstations([line(1000)], [], NOW);
    expect(plan.create).toHaveLength(MAX_WORKSTATIONS_PER_ITEM);
    expect(plan.create.at(-1)!.index).toBe(MAX_WORKSTATIONS_PER_ITEM);
  });

  it("is idempotent: applying its plan and planning again changes nothing", () => {
    const rows = [ws(1), ws(2), ws(3, { assignee_user_id: null })];
    const plan = planWorkstations([line(1)], rows, NOW);
    const after = rows.map((r) =>
      plan.remove.includes(r.name) ? { ...r, assignee_user_id: null, removal_requested_at: NOW } : r,
    );
    expect(planWorkstations([line(1)], after, NOW)).toEqual({ create: [], restore: [], remove: [] });
  });

  it("reads the index from the name", () => {
    expect(workstationIndex("ws-abc-0123456789-12")).toBe(12);
    expect(workstationIndex("no-index")).toBe(0);
  });
});
