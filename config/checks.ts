/**
 * Checks a regular expression cannot make: each returns undefined when the
 * value is fine, or what is wrong and what is allowed.
 */
import { quoteValue } from "./errors";

// IP addresses are parsed here rather than with node:net's isIPv4/isIPv6:
// loading net (and its socket bindings) was about 1 ms of every run, and
// net also takes IPv6 zone IDs ("fe80::1%eth0"), which no firewall rule,
// subnet or server address can carry. checks.test.ts holds these to
// node:net's answers on generated addresses, zone IDs aside.

/** A dotted-quad IPv4 address (0-255 each, no leading zeros), or undefined. */
export function parseIPv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

/**
 * An IPv6 address: eight groups of 1-4 hex digits, or fewer around one
 * "::" that stands for at least one zero group; the last two groups may be
 * written as a dotted quad. Undefined when it is not one.
 */
export function parseIPv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): bigint[] | undefined => {
    if (half === "") return [];
    const words = half.split(":");
    const groups: bigint[] = [];
    for (let i = 0; i < words.length; i++) {
      const word = words[i];
      if (i === words.length - 1 && word.includes(".")) {
        const v4 = parseIPv4(word);
        if (v4 === undefined) return undefined;
        groups.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(word)) {
        groups.push(BigInt(`0x${word}`));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  // A dotted quad ends the address: it cannot come before "::".
  if (halves.length === 2 && halves[0].includes(".")) return undefined;
  const written = head.length + tail.length;
  if (halves.length === 2 ? written > 7 : written !== 8) return undefined;
  const groups = [...head, ...Array<bigint>(8 - written).fill(0n), ...tail];
  return groups.reduce((acc, group) => (acc << 16n) | group, 0n);
}

/** An IPv4 or IPv6 CIDR whose host bits are zero, as Hetzner firewall rules require. */
export function checkCidr(value: string): string | undefined {
  // node:net takes "fe80::1%eth0"; a firewall rule has no interface to name.
  if (value.includes("%")) return "must be a CIDR like 203.0.113.0/24 or 2001:db8::/32, without an IPv6 zone ID (%…): a firewall rule has no interface to name";
  const slash = value.indexOf("/");
  if (slash < 0) {
    if (parseIPv4(value) !== undefined) return `must be a CIDR, not a bare address: did you mean ${value}/32?`;
    if (parseIPv6(value) !== undefined) return `must be a CIDR, not a bare address: did you mean ${value}/128?`;
    return "must be a CIDR like 203.0.113.0/24 or 2001:db8::/32";
  }
  const address = value.slice(0, slash);
  const prefixText = value.slice(slash + 1);
  const v4Value = parseIPv4(address);
  const v4 = v4Value !== undefined;
  const value128 = v4Value ?? parseIPv6(address);
  if (value128 === undefined) return "must be a CIDR like 203.0.113.0/24 or 2001:db8::/32 (the address part is not an IPv4 or IPv6 address)";
  const bits = v4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    return `must have a prefix length from 0 to ${bits} after the '/'`;
  }
  const prefix = Number(prefixText);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value128 & hostMask) !== 0n) {
    const network = value128 & ~hostMask & ((1n << BigInt(bits)) - 1n);
    const shown = v4 ? bigIntToIpv4(network) : bigIntToIpv6(network);
    return `has host bits set: the network is ${shown}/${prefix}`;
  }
  return undefined;
}

/** A dotted-quad IPv4 address as a number. */
export function ipv4ToNumber(address: string): number {
  const value = parseIPv4(address);
  if (value === undefined) throw new Error(`not an IPv4 address: ${JSON.stringify(address)}`);
  return Number(value);
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join(".");
}

function bigIntToIpv6(value: bigint): string {
  const parts: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(((value >> shift) & 0xffffn).toString(16));
  return parts.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}

/**
 * The OpenSSH public key types Hetzner's API accepts and Ubuntu 24.04's sshd
 * takes. Hetzner's API also lists ssh-dss, which OpenSSH 9.6 no longer
 * accepts by default, so a DSA key would lock the operator out. The sk-
 * types are FIDO security keys (a YubiKey): sshd verifies them like any key.
 */
export const SSH_KEY_TYPES = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
] as const;

/** One OpenSSH public key line whose declared type matches the key inside it. */
export function checkSshPublicKey(value: string): string | undefined {
  const allowed = `must be one OpenSSH public key line: "<type> <base64> [comment]" with type ${SSH_KEY_TYPES.join(", ")}`;
  if (/[\r\n]/.test(value)) return `${allowed}; it contains a line break`;
  if (/-----BEGIN/.test(value)) return "must be the PUBLIC key (the .pub file), not a private key — remove it from the file and rotate that key";
  const fields = /^(\S+) (\S+)/.exec(value.trim());
  if (fields && fields[1] === "ssh-dss") return `${allowed}; ssh-dss (DSA) keys are refused by Ubuntu 24.04's sshd: use an ssh-ed25519 key`;
  if (fields && !(SSH_KEY_TYPES as readonly string[]).includes(fields[1])) return `${allowed} (got type ${quoteValue(fields[1].slice(0, 40))})`;
  const match = /^(\S+) ([A-Za-z0-9+/]+={0,3})( [^\p{Cc}\p{Cf}]*)?$/u.exec(value.trim());
  if (!match) return `${allowed}; the base64 part or the comment has characters a key line cannot have`;
  const [, type, blob] = match;
  const bytes = Buffer.from(blob, "base64");
  const inner = sshString(bytes, 0);
  if (inner === undefined) return `${allowed}; the base64 part is too short to be a key`;
  if (inner.text !== type) return `${allowed}; the key says it is ${type} but its data is ${quoteValue(inner.text.slice(0, 20))}: the base64 part is damaged`;
  const curve = /^(?:sk-)?ecdsa-sha2-(nistp\d+)/.exec(type)?.[1];
  if (curve) {
    const named = sshString(bytes, inner.next);
    if (named?.text !== curve) return `${allowed}; the ${type} key names curve ${quoteValue((named?.text ?? "").slice(0, 20))}: the base64 part is damaged`;
  }
  return undefined;
}

/** An SSH wire-format string at `offset`: its text (latin1) and where the next field starts. */
function sshString(bytes: Buffer, offset: number): { text: string; next: number } | undefined {
  if (bytes.length < offset + 4) return undefined;
  const length = bytes.readUInt32BE(offset);
  if (bytes.length < offset + 4 + length) return undefined;
  return { text: bytes.subarray(offset + 4, offset + 4 + length).toString("latin1"), next: offset + 4 + length };
}

/** An https URL without credentials, query or fragment. */
export function checkHttpsUrl(value: string): string | undefined {
  const allowed = "must be an https URL like https://console.example.com/path, without user:password, query or fragment";
  if (/[\s"'`\\<>{}^|]/.test(value) || /\p{Cc}/u.test(value)) return `${allowed} (it contains spaces, quotes or other characters URLs must escape)`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return allowed;
  }
  if (url.protocol !== "https:") return `${allowed}; ${url.protocol.replace(/:$/, "")} is not allowed, only https`;
  if (url.username || url.password) return `${allowed}; it carries credentials, which come from TF_VAR_* variables instead`;
  if (url.search || url.hash || value.includes("?") || value.includes("#")) return `${allowed}; it has a query or fragment`;
  if (!url.hostname) return allowed;
  return undefined;
}

/**
 * A git URL Flux can clone with no credentials of ours: https. (ssh would
 * need a deploy key Secret this project does not create, and Flux rejects
 * the scp form git@host:path outright, so either would fail at boot.)
 */
export function checkGitUrl(value: string): string | undefined {
  const allowed = "must be an https git URL like https://github.com/org/repo, with no spaces, credentials, query or fragment";
  if (/[\s"'`\\<>{}^|$]/.test(value) || /\p{Cc}/u.test(value)) return `${allowed} (it contains spaces, quotes or other characters)`;
  if (/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(value) || value.startsWith("ssh://")) {
    return `${allowed}; ssh URLs need a deploy key Secret that this project does not create`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return allowed;
  }
  if (url.protocol !== "https:") return `${allowed}; ${url.protocol.replace(/:$/, "")} is not allowed, only https`;
  if (url.username || url.password) return `${allowed} (it carries credentials: never put tokens in the Sovereign file)`;
  if (url.search || url.hash || value.includes("?") || value.includes("#")) return `${allowed} (it has a query or fragment)`;
  if (!url.hostname || url.pathname.length < 2) return `${allowed} (no host or repository path)`;
  return undefined;
}
