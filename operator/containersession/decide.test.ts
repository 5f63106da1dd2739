import { describe, expect, it } from "vitest";
import type { ContainerSession, ContainerSessionStatus, License } from "../../crds/types.js";
import { LONGEST_OFFLINE_GRACE_MS } from "../../lib/domain.js";
import {
  AUDIT_REF_ANNOTATION,
  DEFAULT_SESSION_POLICY,
  decideSession,
  type SessionDecision,
} from "./decide.js";

const now = new Date("2026-03-01T12:00:00Z");
const MIN = 60_000;
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();

function session(
  name: string,
  status: ContainerSessionStatus = {},
  extra: { created?: string; audited?: boolean } = {},
): ContainerSession {
  return {
    metadata: {
      name,
      namespace: "acme",
      creationTimestamp: extra.created ?? ago(60 * MIN),
      resourceVersion: "7",
      ...(extra.audited
        ? { annotations: { [AUDIT_REF_ANNOTATION]: "billing:audit_events/session.released" } }
        : {}),
    },
    spec: {
      sessionId: "00000000-0000-4000-8000-000000000001",
      licenseRef: { name: "lic-1" },
      containerId: name,
      containerType: "docker",
    },
    status: { state: "active", lastHeartbeatTime: ago(MIN), ...status },
  };
}

function license(state: License["spec"]["state"] = "active", maxContainers: number | null = 5): License {
  return {
    metadata: { name: "lic-1", namespace: "acme" },
    spec: {
      licenseId: "1",
      organization: "acme",
      tier: "pro",
      maxContainers,
      seats: 5,
      expiresAt: null,
      provisioningType: "paid",
      state,
    },
  };
}

interface Row {
  name: string;
  session: ContainerSession;
  license?: License;
  peers?: ContainerSession[];
  check: SessionDecision["check"];
  state?: string;
  reason?: string;
  delete?: boolean;
  requeueAt?: string;
  event?: string;
}

const fresh = session("s-fresh");
const rows: Row[] = [
  {
    name: "fresh heartbeat → active, warn at +20 min",
    session: fresh,
    license: license(),
    check: "active",
    state: "active",
    requeueAt: new Date(now.getTime() - MIN + 20 * MIN).toISOString(),
  },
  {
    name: "21 min without heartbeat → HeartbeatLate warning, requeue at expiry",
    session: session("s", { lastHeartbeatTime: ago(21 * MIN) }),
    license: license(),
    check: "active",
    state: "active",
    event: "HeartbeatLate",
    requeueAt: new Date(now.getTime() - 21 * MIN + 30 * MIN).toISOString(),
  },
  {
    name: "already late → no second warning",
    session: session("s", {
      lastHeartbeatTime: ago(25 * MIN),
      conditions: [
        {
          type: "HeartbeatFresh",
          status: "False",
          reason: "HeartbeatLate",
          message: "m",
          lastTransitionTime: ago(5 * MIN),
        },
      ],
    }),
    license: license(),
    check: "active",
  },
  {
    name: "30 min without heartbeat → expired (HeartbeatMissed)",
    session: session("s", { lastHeartbeatTime: ago(30 * MIN) }),
    license: license(),
    check: "heartbeatMissed",
    state: "expired",
    reason: "HeartbeatMissed",
    event: "HeartbeatMissed",
  },
  {
    name: "revoked license → terminated (LicenseRevoked)",
    session: fresh,
    license: license("revoked"),
    check: "licenseLapsed",
    state: "terminated",
    reason: "LicenseRevoked",
  },
  {
    name: "suspended license → terminated (LicenseSuspended)",
    session: fresh,
    license: license("suspended"),
    check: "licenseLapsed",
    state: "terminated",
    reason: "LicenseSuspended",
  },
  {
    name: "expired license → terminated (LicenseExpired)",
    session: fresh,
    license: license("expired"),
    check: "licenseLapsed",
    state: "terminated",
    reason: "LicenseExpired",
  },
  {
    name: "past-due license → still active",
    session: fresh,
    license: license("pastDue"),
    check: "active",
    state: "active",
  },
  {
    name: "License not in the cache → active, Licensed Unknown (never terminated on a cache miss)",
    session: fresh,
    check: "active",
    state: "active",
  },
  {
    name: "ended 23 h ago → kept, requeued at 24 h",
    session: session(
      "s",
      { state: "released", reason: "Released", endedAt: ago(23 * 60 * MIN) },
      { audited: true },
    ),
    license: license(),
    check: "ended",
    delete: false,
    requeueAt: new Date(now.getTime() + 60 * MIN).toISOString(),
  },
  {
    name: "released 24 h ago and audited → deleted",
    session: session("s", { state: "released", endedAt: ago(24 * 60 * MIN) }, { audited: true }),
    license: license(),
    check: "ended",
    delete: true,
  },
  {
    name: "terminated 25 h ago but not audited → not deleted yet",
    session: session("s", { state: "terminated", endedAt: ago(25 * 60 * MIN) }),
    license: license(),
    check: "ended",
    delete: false,
  },
  {
    name: "expired 25 h ago, offline grace still running → kept until last heartbeat + the longest grace (7 d)",
    session: session(
      "s",
      { state: "expired", endedAt: ago(25 * 60 * MIN), lastHeartbeatTime: ago(25 * 60 * MIN + 30 * MIN) },
      { audited: true },
    ),
    license: license(),
    check: "ended",
    delete: false,
    requeueAt: new Date(now.getTime() - 25 * 60 * MIN - 30 * MIN + LONGEST_OFFLINE_GRACE_MS).toISOString(),
  },
  {
    name: "expired 4 days ago: an enterprise token may still be valid → kept (72 h deleted it)",
    session: session(
      "s",
      { state: "expired", endedAt: ago(96 * 60 * MIN), lastHeartbeatTime: ago(96 * 60 * MIN + 30 * MIN) },
      { audited: true },
    ),
    license: license(),
    check: "ended",
    delete: false,
    requeueAt: new Date(now.getTime() - 96 * 60 * MIN - 30 * MIN + LONGEST_OFFLINE_GRACE_MS).toISOString(),
  },
  {
    name: "expired and past the longest offline grace → deleted",
    session: session(
      "s",
      { state: "expired", endedAt: ago(7 * 24 * 60 * MIN), lastHeartbeatTime: ago(7 * 24 * 60 * MIN + MIN) },
      { audited: true },
    ),
    license: license(),
    check: "ended",
    delete: true,
  },
  {
    name: "ended sessions are not re-terminated by a revoked license",
    session: session("s", { state: "released", endedAt: ago(MIN) }, { audited: true }),
    license: license("revoked"),
    check: "ended",
    state: "released",
  },
];

describe("decideSession", () => {
  it.each(rows)("$name", (row) => {
    const d = decideSession(
      row.session,
      row.license,
      now,
      row.peers ?? [row.session],
      DEFAULT_SESSION_POLICY,
    );
    expect(d.check).toBe(row.check);
    if (row.state) expect(d.status.state).toBe(row.state);
    if (row.reason) expect(d.status.reason).toBe(row.reason);
    if (row.delete !== undefined) expect(d.delete).toBe(row.delete);
    if (row.requeueAt) expect(d.requeueAt?.toISOString()).toBe(row.requeueAt);
    expect(d.event?.reason).toBe(
      row.event ?? (row.check === "licenseLapsed" || row.check === "overQuota" ? row.reason : undefined),
    );
  });

  it("an ending records endedAt = now and Ready=False with the reason", () => {
    const d = decideSession(session("s", { lastHeartbeatTime: ago(31 * MIN) }), license(), now, []);
    expect(d.status.endedAt).toBe(now.toISOString());
    expect(d.status.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "HeartbeatMissed",
    });
  });

  it("asks for an audit record when an ended session has none", () => {
    expect(
      decideSession(session("s", { state: "expired", endedAt: ago(MIN) }), license(), now, [])
        .needsAuditRecord,
    ).toBe(true);
    expect(
      decideSession(
        session("s", { state: "expired", endedAt: ago(MIN) }, { audited: true }),
        license(),
        now,
        [],
      ).needsAuditRecord,
    ).toBe(false);
  });

  it("active sessions carry Ready, Licensed, HeartbeatFresh and WithinQuota conditions", () => {
    const d = decideSession(fresh, license(), now, [fresh]);
    expect(d.status.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      "Ready=True/Active",
      "Licensed=True/LicenseActive",
      "HeartbeatFresh=True/HeartbeatReceived",
      "WithinQuota=True/WithinLimit",
    ]);
  });

  it("after a downgrade to 2, the newest sessions beyond the limit are terminated, the oldest two keep their seats", () => {
    const peers = [1, 2, 3, 4, 5].map((i) => session(`s-${i}`, {}, { created: ago((10 - i) * MIN) }));
    const shuffled = [peers[3]!, peers[0]!, peers[4]!, peers[2]!, peers[1]!];
    const outcome = peers.map((s) => decideSession(s, license("active", 2), now, shuffled));
    expect(outcome.map((d) => d.check)).toEqual(["active", "active", "overQuota", "overQuota", "overQuota"]);
    expect(outcome[4]!.status).toMatchObject({ state: "terminated", reason: "OverQuota" });
  });

  it("unlimited licenses never terminate for quota; ended peers do not count", () => {
    const peers = Array.from({ length: 50 }, (_, i) =>
      session(`s-${i}`, {}, { created: ago((60 - i) * MIN) }),
    );
    expect(decideSession(peers[49]!, license("active", null), now, peers).check).toBe("active");
    const ended = session("s-old", { state: "released", endedAt: ago(MIN) }, { created: ago(100 * MIN) });
    const newest = session("s-new", {}, { created: ago(MIN) });
    expect(decideSession(newest, license("active", 1), now, [ended, newest]).check).toBe("active");
  });

  it("lastTransitionTime moves only when a condition's status changes", () => {
    const first = decideSession(fresh, license(), now, [fresh]);
    const later = new Date(now.getTime() + MIN);
    const again = decideSession({ ...fresh, status: first.status }, license(), later, [fresh]);
    const ready = (d: SessionDecision) =>
      d.status.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime;
    expect(ready(again)).toBe(ready(first));
  });
});
