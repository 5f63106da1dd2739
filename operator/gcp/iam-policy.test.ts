import { describe, expect, it } from "vitest";
import { addMember, WORKSTATION_USER_ROLE as ROLE, removeMember } from "./iam-policy.js";

const alice = "user:alice@example.com";
const bob = "user:bob@example.com";
const viewer = { role: "roles/viewer", members: [alice] };
const conditional = { role: ROLE, members: [alice], condition: { expression: "request.time < x" } };

describe("addMember", () => {
  it.each([
    {
      name: "adds a binding when the role has none",
      bindings: [viewer],
      expected: [viewer, { role: ROLE, members: [alice] }],
    },
    {
      name: "appends to the role's binding",
      bindings: [{ role: ROLE, members: [bob] }],
      expected: [{ role: ROLE, members: [bob, alice] }],
    },
    { name: "is a no-op when present", bindings: [{ role: ROLE, members: [alice] }], expected: null },
    {
      name: "compares e-mails case-insensitively",
      bindings: [{ role: ROLE, members: ["user:Alice@Example.com"] }],
      expected: null,
    },
    {
      name: "ignores a conditional binding of the role",
      bindings: [conditional],
      expected: [conditional, { role: ROLE, members: [alice] }],
    },
  ])("$name", ({ bindings, expected }) => {
    expect(addMember(bindings, ROLE, alice)).toEqual(expected);
  });
});

describe("removeMember", () => {
  it.each([
    {
      name: "removes the member, keeping others",
      bindings: [{ role: ROLE, members: [alice, bob] }],
      expected: [{ role: ROLE, members: [bob] }],
    },
    {
      name: "drops a binding left empty",
      bindings: [viewer, { role: ROLE, members: [alice] }],
      expected: [viewer],
    },
    { name: "is a no-op when absent", bindings: [{ role: ROLE, members: [bob] }], expected: null },
    { name: "is a no-op without a binding", bindings: [viewer], expected: null },
    { name: "never touches conditional bindings", bindings: [conditional], expected: null },
  ])("$name", ({ bindings, expected }) => {
    expect(removeMember(bindings, ROLE, alice)).toEqual(expected);
  });
});
