/**
 * The one place that names a Sovereign's Hetzner resources and computes its
 * `catalyst.openova.io/sovereign` label value, with the rules those must
 * pass ported from the provider's own source (cited at each rule).
 *
 * Names keep today's form, `catalyst-<fqdn with dashes>-<suffix>`, whenever
 * that is at most 63 characters: renaming a deployed server would leave its
 * hostname and k3s node name behind, so a valid name never changes. Only a
 * name that would be longer takes the short form
 * `catalyst-<first 33 characters of the stack name>-<hash>-<suffix>`, where
 * the hash is the first 10 hex digits of the FQDN's SHA-256: deterministic,
 * the same for every short name of one Sovereign, and different for two
 * Sovereigns whose FQDNs share the same start.
 */
import { createHash } from "crypto";
import { CONTROL_PLANE_PRIVATE_IPS, MAX_SERVERS_PER_SPREAD_GROUP, MAX_WORKERS } from "./defaults";

/** First word of every resource name. */
export const NAME_PREFIX = "catalyst";
/** Longest resource name this project writes: one DNS label (RFC 1123). */
export const MAX_NAME_LENGTH = 63;
/** Hex digits of the FQDN's SHA-256 in shortened names and label values. */
export const HASH_HEX_DIGITS = 10;

// ---------------------------------------------------------------------------
// Rules, ported
// ---------------------------------------------------------------------------

/**
 * Label keys: hcloud-go v2.47.0 `hcloud/labels.go` (keyRegexp), which
 * terraform-provider-hcloud v1.68.0 runs on every `labels` attribute
 * (`internal/server/resource.go`, `internal/network/resource.go`, … call
 * `hcloud.ValidateResourceLabels`): an optional DNS-style prefix and `/`,
 * then a name of 1-63 characters, alphanumeric at both ends, `-_.` inside.
 */
export const LABEL_KEY_PATTERN = /^([a-z0-9A-Z]((?:[\-_.]|[a-z0-9A-Z]){0,253}[a-z0-9A-Z])?\/)?[a-z0-9A-Z]((?:[\-_.]|[a-z0-9A-Z]|){0,61}[a-z0-9A-Z])?$/;
/** Label values: hcloud-go v2.47.0 `hcloud/labels.go` (valueRegexp): empty, or 1-63 characters, alphanumeric at both ends, `-_.` inside. */
export const LABEL_VALUE_PATTERN = /^(([a-z0-9A-Z](?:[\-_.]|[a-z0-9A-Z]){0,61})?[a-z0-9A-Z]$|$)/;

/** One DNS label as RFC 1123 allows it in a host name: 1-63 letters, digits, '-', no '-' at either end. */
const RFC1123_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/**
 * Kubernetes object names such as Node: a lowercase RFC 1123 subdomain of at
 * most 253 characters (kubernetes/kubernetes
 * `staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go`,
 * IsDNS1123Subdomain). k3s names its node after the server.
 */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Undefined when `key` is a valid Hetzner label key, else what is wrong. */
export function checkLabelKey(key: string): string | undefined {
  return LABEL_KEY_PATTERN.test(key) ? undefined : `label key ${JSON.stringify(key)} is not a valid Hetzner label key (optional prefix and '/', then 1-63 letters, digits, '-', '_', '.', alphanumeric at both ends)`;
}

/** Undefined when `value` is a valid Hetzner label value, else what is wrong. */
export function checkLabelValue(value: string): string | undefined {
  return LABEL_VALUE_PATTERN.test(value) ? undefined : `label value ${JSON.stringify(value)} is not a valid Hetzner label value (at most 63 letters, digits, '-', '_', '.', alphanumeric at both ends)`;
}

/**
 * Undefined when `name` can be a server's name, else what is wrong. The
 * provider's docs (v1.68.0 `docs/resources/server.md`, `name`): "a valid
 * hostname as per RFC 1123" (at most 253 characters, dot-separated labels of
 * at most 63). The name is also the host name and the k3s node name, so it
 * must be a lowercase RFC 1123 subdomain for Kubernetes too.
 */
export function checkServerName(name: string): string | undefined {
  const hostname = name.length <= 253 && name.split(".").every((label) => RFC1123_LABEL.test(label));
  if (!hostname) return `server name ${JSON.stringify(name)} is not an RFC 1123 host name (dot-separated labels of 1-63 letters, digits, '-', no '-' at either end)`;
  if (!DNS1123_SUBDOMAIN.test(name)) return `server name ${JSON.stringify(name)} is not a Kubernetes node name (lowercase RFC 1123 subdomain)`;
  return undefined;
}

/**
 * Undefined when `name` is fit for any Hetzner resource of this project,
 * else what is wrong. The provider documents no rule for network, firewall,
 * SSH key, load balancer and placement group names beyond uniqueness per
 * project (v1.68.0 `docs/resources/network.md`); this project holds them to
 * the server rule, one lowercase DNS label, so that no name is ever longer
 * or stranger than the strictest the API takes.
 */
export function checkResourceName(name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH || !RFC1123_LABEL.test(name) || name !== name.toLowerCase()) {
    return `resource name ${JSON.stringify(name)} is not one lowercase DNS label (1-${MAX_NAME_LENGTH} letters, digits, '-', no '-' at either end)`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/** The name of every Hetzner resource a Sovereign can have, and its Sovereign label value. */
export interface SovereignNames {
  /** Value of `catalyst.openova.io/sovereign`: the FQDN when it is at most 63 characters, else its first characters, '-' and the hash. */
  readonly sovereignLabel: string;
  readonly network: string;
  readonly firewall: string;
  readonly sshKey: string;
  readonly loadBalancer: string;
  /** The control plane's spread placement group. */
  readonly controlPlanePlacementGroup: string;
  /** Control-plane servers 1 to 3. */
  readonly controlPlaneServers: readonly string[];
  /** Workers' placement groups 1 to 5 (one per 10 workers). */
  readonly workerPlacementGroups: readonly string[];
  /** Workers 1 to MAX_WORKERS. */
  readonly workers: readonly string[];
}

/** The first HASH_HEX_DIGITS hex digits of the FQDN's SHA-256. */
export function fqdnHash(fqdn: string): string {
  return createHash("sha256").update(fqdn, "utf8").digest("hex").slice(0, HASH_HEX_DIGITS);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Names and label value for the Sovereign with this FQDN (lowercase RFC 1035 name, as the schema accepts). */
export function sovereignNames(fqdn: string): SovereignNames {
  const stackName = fqdn.replace(/\./g, "-");
  const hash = fqdnHash(fqdn);
  const workerGroups = Math.ceil(MAX_WORKERS / MAX_SERVERS_PER_SPREAD_GROUP);
  const suffixes = {
    network: "net",
    firewall: "fw",
    sshKey: "",
    loadBalancer: "lb",
    controlPlanePlacementGroup: "cp",
    controlPlaneServers: range(CONTROL_PLANE_PRIVATE_IPS.length).map((i) => `cp-${i}`),
    workerPlacementGroups: range(workerGroups).map((g) => `workers-${g}`),
    workers: range(MAX_WORKERS).map((i) => `worker-${i}`),
  };
  // The short prefix leaves room for the longest suffix of any resource.
  const longestSuffix = Math.max(...Object.values(suffixes).flat().map((s) => s.length));
  const headLength = MAX_NAME_LENGTH - `${NAME_PREFIX}-`.length - `-${hash}`.length - `-`.length - longestSuffix;
  const shortPrefix = `${NAME_PREFIX}-${stackName.slice(0, headLength).replace(/-+$/, "")}-${hash}`;
  const name = (suffix: string) => {
    const full = [NAME_PREFIX, stackName, suffix].filter(Boolean).join("-");
    return full.length <= MAX_NAME_LENGTH ? full : [shortPrefix, suffix].filter(Boolean).join("-");
  };
  const labelHead = fqdn.slice(0, MAX_NAME_LENGTH - `-${hash}`.length).replace(/[-.]+$/, "");
  return {
    sovereignLabel: fqdn.length <= MAX_NAME_LENGTH ? fqdn : `${labelHead}-${hash}`,
    network: name(suffixes.network),
    firewall: name(suffixes.firewall),
    sshKey: name(suffixes.sshKey),
    loadBalancer: name(suffixes.loadBalancer),
    controlPlanePlacementGroup: name(suffixes.controlPlanePlacementGroup),
    controlPlaneServers: suffixes.controlPlaneServers.map(name),
    workerPlacementGroups: suffixes.workerPlacementGroups.map(name),
    workers: suffixes.workers.map(name),
  };
}

/** Every problem of a set of names against the ported rules: invalid names or label value, and names used twice. */
export function checkSovereignNames(names: SovereignNames): string[] {
  const problems: string[] = [];
  const label = checkLabelValue(names.sovereignLabel);
  if (label) problems.push(label);
  const servers = [...names.controlPlaneServers, ...names.workers];
  const others = [names.network, names.firewall, names.sshKey, names.loadBalancer, names.controlPlanePlacementGroup, ...names.workerPlacementGroups];
  for (const server of servers) {
    const problem = checkServerName(server) ?? checkResourceName(server);
    if (problem) problems.push(problem);
  }
  for (const other of others) {
    const problem = checkResourceName(other);
    if (problem) problems.push(problem);
  }
  // Names are unique per resource type in a project; distinct overall is stricter and simpler.
  const seen = new Set<string>();
  for (const name of [...servers, ...others]) {
    if (seen.has(name)) problems.push(`resource name ${JSON.stringify(name)} is used twice`);
    seen.add(name);
  }
  return problems;
}
