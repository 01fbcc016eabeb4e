/**
 * Checks a regular expression cannot make: each returns undefined when the
 * value is fine, or what is wrong and what is allowed.
 */
import { isIPv4, isIPv6 } from "net";
import { quoteValue } from "./errors";

/** An IPv4 or IPv6 CIDR whose host bits are zero, as Hetzner firewall rules require. */
export function checkCidr(value: string): string | undefined {
  const slash = value.indexOf("/");
  if (slash < 0) {
    if (isIPv4(value)) return `must be a CIDR, not a bare address: did you mean ${value}/32?`;
    if (isIPv6(value)) return `must be a CIDR, not a bare address: did you mean ${value}/128?`;
    return "must be a CIDR like 203.0.113.0/24 or 2001:db8::/32";
  }
  const address = value.slice(0, slash);
  const prefixText = value.slice(slash + 1);
  const v4 = isIPv4(address);
  const v6 = !v4 && isIPv6(address);
  if (!v4 && !v6) return "must be a CIDR like 203.0.113.0/24 or 2001:db8::/32 (the address part is not an IPv4 or IPv6 address)";
  const bits = v4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    return `must have a prefix length from 0 to ${bits} after the '/'`;
  }
  const prefix = Number(prefixText);
  const value128 = v4 ? ipv4ToBigInt(address) : ipv6ToBigInt(address);
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
  return Number(ipv4ToBigInt(address));
}

function ipv4ToBigInt(address: string): bigint {
  return address.split(".").reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join(".");
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4Tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const v = ipv4ToBigInt(v4Tail[1]);
    text = text.slice(0, -v4Tail[1].length) + `${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headParts = head ? head.split(":") : [];
  const tailParts = tail ? tail.split(":") : [];
  const missing = 8 - headParts.length - tailParts.length;
  const parts = [...headParts, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...tailParts];
  return parts.reduce((acc, part) => (acc << 16n) + BigInt(parseInt(part, 16)), 0n);
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
