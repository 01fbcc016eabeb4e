/**
 * config/checks.ts parses IP addresses itself (node:net costs start-up time
 * and takes zone IDs). Its answers must be node:net's on every address a
 * Sovereign file could hold, zone IDs aside, and its values must be right.
 */
import { isIPv4, isIPv6 } from "net";
import { checkCidr, parseIPv4, parseIPv6 } from "../config/checks";

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Address-like strings: valid ones, near misses and junk made of the characters addresses use. */
function candidates(count: number): string[] {
  const next = random(20261128);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const octet = () => pick(["0", "1", "9", "10", "99", "100", "199", "249", "255", "256", "300", "00", "01", "010", "1000", "", "-1", "1a"]);
  const hextet = () => pick(["0", "1", "a", "F", "ff", "abc", "ffff", "FFFF", "0000", "00000", "12345", "g", "", "db8", "2001"]);
  const v4 = () => Array.from({ length: pick([3, 4, 4, 4, 5]) }, octet).join(".");
  const v6 = () => {
    const groups = Array.from({ length: Math.floor(next() * 10) }, () => (next() < 0.1 ? v4() : hextet()));
    if (next() < 0.6) groups.splice(Math.floor(next() * (groups.length + 1)), 0, next() < 0.9 ? "" : ":");
    let text = groups.join(":");
    if (next() < 0.2) text = `:${text}`;
    if (next() < 0.2) text = `${text}:`;
    return text;
  };
  const junk = () => Array.from({ length: Math.floor(next() * 12) }, () => pick([..."0123456789abcdefABCDEF:./ xg%"])).join("");
  return Array.from({ length: count }, () => pick([v4, v6, v6, junk])());
}

describe("IP addresses without node:net", () => {
  const inputs = [
    ...candidates(200000),
    ...["0.0.0.0", "255.255.255.255", "::", "::1", "1::", "::ffff:1.2.3.4", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "1.2.3.4::", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", "1:::2", "01.2.3.4"],
  ];

  test("accept exactly what node:net accepts, on 200,000 generated strings (zone IDs aside)", () => {
    const disagreements = inputs.filter((text) => !text.includes("%")).filter((text) => (parseIPv4(text) !== undefined) !== isIPv4(text) || (parseIPv6(text) !== undefined) !== isIPv6(text));
    expect(disagreements).toEqual([]);
    // The generator is worth something only if it hits both answers often.
    expect(inputs.filter((text) => isIPv6(text)).length).toBeGreaterThan(3000);
    expect(inputs.filter((text) => isIPv4(text)).length).toBeGreaterThan(1000);
  });

  test("refuse IPv6 zone IDs, which node:net takes and no firewall rule can carry", () => {
    expect(isIPv6("fe80::1%eth0")).toBe(true);
    expect(parseIPv6("fe80::1%eth0")).toBeUndefined();
    // Before, "fe80::%eth0/64" threw a RangeError and "2001:db8::1%eth0/128" was accepted.
    for (const cidr of ["fe80::%eth0/64", "2001:db8::1%eth0/128", "fe80::1%1", "fe80::1%eth0/64"]) {
      expect(checkCidr(cidr)).toBe("must be a CIDR like 203.0.113.0/24 or 2001:db8::/32, without an IPv6 zone ID (%…): a firewall rule has no interface to name");
    }
  });

  test.each([
    ["10.0.1.2", 0x0a000102n],
    ["255.255.255.255", 0xffffffffn],
  ])("IPv4 %s has its value", (text, value) => {
    expect(parseIPv4(text)).toBe(value);
  });

  test.each([
    ["::", 0n],
    ["::1", 1n],
    ["2001:db8::", 0x20010db8n << 96n],
    ["1:2:3:4:5:6:7:8", 0x00010002000300040005000600070008n],
    ["1:2:3:4:5:6:7::", 0x00010002000300040005000600070000n],
    ["::ffff:192.0.2.1", 0xffffc0000201n],
    ["fe80::1:2", (0xfe80n << 112n) | 0x00010002n],
  ])("IPv6 %s has its value", (text, value) => {
    expect(parseIPv6(text)).toBe(value);
  });

  test.each([
    ["203.0.113.0/24", undefined],
    ["203.0.113.7/24", "has host bits set: the network is 203.0.113.0/24"],
    ["2001:db8::/32", undefined],
    ["2001:db8::1/32", "has host bits set: the network is 2001:db8::/32"],
    ["::ffff:192.0.2.0/120", undefined],
    ["::ffff:192.0.2.1/120", "has host bits set: the network is ::ffff:c000:200/120"],
    ["203.0.113.7", "must be a CIDR, not a bare address: did you mean 203.0.113.7/32?"],
    ["2001:db8::1", "must be a CIDR, not a bare address: did you mean 2001:db8::1/128?"],
  ])("checkCidr(%s)", (cidr, message) => {
    expect(checkCidr(cidr)).toBe(message);
  });
});
