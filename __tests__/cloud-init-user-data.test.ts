/**
 * Hetzner's 32 KiB user_data limit, exercised at the byte where it bites:
 * no valid Sovereign file comes near it, so these props bypass the file's
 * checks (an org name of many kilobytes) to push the worst-case document
 * across the limit by a single step.
 */
import { Testing } from "cdktf";
import { UserDataTooLargeError } from "../config/errors";
import type { Sovereign } from "../config/load";
import { SovereignStack } from "../constructs";
import { CloudInitUserData, USER_DATA_LIMIT_BYTES } from "../constructs/cloud-init-user-data";
import { CloudConfig, worstCaseBytesBound } from "../userdata";
import { sovereignWith } from "./fixtures/sovereigns";

const base = sovereignWith({ postback: { deploymentId: "5cd1bceaaacb71f6" } });

/** The stack with an org name of `length` characters: the largest user data's worst case, or the error. */
function build(length: number): { maxBytes?: number; error?: unknown } {
  const sovereign: Sovereign = { ...base, org: { ...base.org, name: "x".repeat(length) } };
  try {
    const stack = new SovereignStack(Testing.app(), sovereign.stackName, { sovereign });
    const userData = stack.node.findAll().filter((c): c is CloudInitUserData => c instanceof CloudInitUserData);
    return { maxBytes: Math.max(...userData.map((u) => u.maxBytes)) };
  } catch (error) {
    return { error };
  }
}

test("the limit is Hetzner's: 32 KiB", () => {
  expect(USER_DATA_LIMIT_BYTES).toBe(32768);
});

test("fails at synthesis with UserDataTooLargeError one step past 32 KiB, and not one step before", () => {
  const small = build(1000).maxBytes!;
  const larger = build(3000).maxBytes!;
  const perChar = (larger - small) / 2000;
  expect(perChar).toBeGreaterThan(0);
  // Where the worst case should reach the limit; look around it for the exact step.
  const estimate = 1000 + Math.floor((USER_DATA_LIMIT_BYTES - small) / perChar);
  let fits = -1;
  for (let length = estimate - 8; length <= estimate + 8; length++) {
    const result = build(length);
    if (result.error) break;
    fits = length;
  }
  expect(fits).toBeGreaterThan(estimate - 8);
  expect(build(fits).maxBytes).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);

  const over = build(fits + 1).error;
  expect(over).toBeInstanceOf(UserDataTooLargeError);
  const error = over as UserDataTooLargeError;
  expect(error.limitBytes).toBe(32768);
  expect(error.bytes).toBeGreaterThan(32768);
  expect(error.bytes - 32768).toBeLessThanOrEqual(Math.ceil(perChar) + 4);
  expect(error.server).toMatch(/^omantel-omani-works\/ControlPlane\/.*UserData$/);
  expect(error.message).toBe(`${error.server}: user_data could reach ${error.bytes} bytes, over Hetzner's limit of 32768 bytes (32 KiB); drop optional steps or shorten values`);
});

describe("the worst-case size check without a second render", () => {
  const sovereigns: [string, Sovereign][] = [
    ["the example (one server)", base],
    ["ha with workers", sovereignWith({ controlPlane: { ha: true }, workers: { count: 2 } })],
    ["cloudController k3s", sovereignWith({ cloudController: "k3s" })],
  ];

  test.each(sovereigns)("%s: each server's bound is at least its exact worst case, and settles it", (_, sovereign) => {
    const stack = new SovereignStack(Testing.app(), sovereign.stackName, { sovereign });
    const userData = stack.node.findAll().filter((c): c is CloudInitUserData => c instanceof CloudInitUserData);
    expect(userData.length).toBeGreaterThan(0);
    for (const u of userData) {
      const bound = u.maxBytesBound;
      expect(bound).toBeDefined();
      expect(bound!).toBeGreaterThanOrEqual(u.maxBytes);
      expect(bound!).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    }
  });
});

test("worstCaseBytesBound gives no bound when the configs differ outside runtime file contents", () => {
  const file = { path: "/etc/x", content: "a", permissions: "0600" as const, runtime: true };
  const config: CloudConfig = { package_update: true, package_upgrade: false, packages: [], write_files: [file], runcmd: [["true"]], final_message: "done" };
  // Runtime content alone differs: bound = real bytes + base64 of the longer content + 2 quote bytes.
  expect(worstCaseBytesBound(config, 100, { ...config, write_files: [{ ...file, content: "x".repeat(30) }] })).toBe(100 + 40 + 2);
  expect(worstCaseBytesBound(config, 100, { ...config, runcmd: [["false"]] })).toBeUndefined();
  expect(worstCaseBytesBound(config, 100, { ...config, write_files: [{ ...file, runtime: false, content: "x" }] })).toBeUndefined();
  expect(worstCaseBytesBound(config, 100, { ...config, write_files: [] })).toBeUndefined();
});
