/**
 * What billing/cluster/repair.ts writes as `offlineGraceUntil` when it re-creates a lost ContainerSession
 * (ADR 0158): the expiry of the token the session's last heartbeat handed out — its tier, the grace it
 * earned online, the license's end — not the flat 72 h it wrote before (short for enterprise, long for a
 * container that had just started).
 */
import { describe, expect, it } from "vitest";
import type { SessionRow } from "../sessions/store.js";
import { type LiveSessionRow, offlineGraceUntilOf } from "./repair.js";

const HOUR = 3_600_000;
const last = new Date("2026-05-10T12:00:00Z");
const ago = (ms: number) => new Date(last.getTime() - ms);
const later = (ms: number) => new Date(last.getTime() + ms);

function row(over: Partial<LiveSessionRow>): LiveSessionRow {
  const session: SessionRow = {
    id: "00000000-0000-4000-8000-000000000001",
    license_id: "00000000-0000-4000-8000-000000000002",
    organization: "acme",
    container_id: "c1",
    container_type: "docker",
    hostname: null,
    ip: null,
    state: "active",
    reason: null,
    max_users: 1,
    resource_name: "cs-1",
    created_at: ago(HOUR),
    last_heartbeat_at: last,
    ended_at: null,
    principal: "key:abc",
    online_since: ago(HOUR),
  };
  return {
    ...session,
    license_tier: "pro",
    license_state: "active",
    license_expires_at: null,
    license_grace_ends_at: null,
    ...over,
  };
}

describe("offlineGraceUntilOf", () => {
  const cases: [string, LiveSessionRow, Date][] = [
    ["pro, online 1 h: 1 h", row({}), later(HOUR)],
    ["pro, just validated: the 30-minute floor", row({ online_since: last }), later(HOUR / 2)],
    [
      "enterprise, online 5 days: 5 days (72 h before)",
      row({ license_tier: "enterprise", online_since: ago(120 * HOUR) }),
      later(120 * HOUR),
    ],
    ["pro, online 5 days: the tier's 72 h", row({ online_since: ago(120 * HOUR) }), later(72 * HOUR)],
    [
      "row from an older replica (NULL): from its validate",
      row({ online_since: null, created_at: ago(3 * HOUR) }),
      later(3 * HOUR),
    ],
    [
      "license ending first",
      row({ online_since: ago(120 * HOUR), license_expires_at: later(5 * HOUR) }),
      later(5 * HOUR),
    ],
  ];
  it.each(cases)("%s", (_label, input, expected) => {
    expect(offlineGraceUntilOf(input)).toEqual(expected);
  });
});
