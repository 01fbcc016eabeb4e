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
 *
 * It also names the Sovereign's Terraform state in each backend (stateName)
 * with the same rule: today's name while it and the lock file Terraform
 * derives from it fit their limits, else the stack name shortened to a
 * readable start, '-' and the hash.
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

/** True when `name` can be a Kubernetes node name (a lowercase RFC 1123 subdomain of at most 253 characters). */
export function isKubernetesNodeName(name: string): boolean {
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

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
  if (!isKubernetesNodeName(name)) return `server name ${JSON.stringify(name)} is not a Kubernetes node name (lowercase RFC 1123 subdomain)`;
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

/** The Terraform stack name: the FQDN with dots replaced by dashes (at most 253 characters, `[a-z0-9-]`). */
export function stackName(fqdn: string): string {
  return fqdn.replace(/\./g, "-");
}

/** The first HASH_HEX_DIGITS hex digits of the FQDN's SHA-256. */
export function fqdnHash(fqdn: string): string {
  return createHash("sha256").update(fqdn, "utf8").digest("hex").slice(0, HASH_HEX_DIGITS);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Names and label value for the Sovereign with this FQDN (lowercase RFC 1035 name, as the schema accepts). */
export function sovereignNames(fqdn: string): SovereignNames {
  const stack = stackName(fqdn);
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
  const shortPrefix = `${NAME_PREFIX}-${stack.slice(0, headLength).replace(/-+$/, "")}-${hash}`;
  const name = (suffix: string) => {
    const full = [NAME_PREFIX, stack, suffix].filter(Boolean).join("-");
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

// ---------------------------------------------------------------------------
// Where the state lives
// ---------------------------------------------------------------------------

/** Longest file name Linux file systems take (NAME_MAX of ext4, XFS, Btrfs: 255 bytes). */
export const MAX_FILE_NAME_BYTES = 255;
/**
 * Before every state write Terraform's local backend writes
 * `.<state file name>.lock.info` next to the state (hashicorp/terraform
 * `internal/states/statemgr/filesystem.go`, lockInfoPath), 11 bytes longer
 * than the state file's name; the backup, `<state file name>.backup`, is 7
 * longer. Terraform 1.11 fails with "Error acquiring the state lock ... file
 * name too long" once the lock file's name passes MAX_FILE_NAME_BYTES.
 */
export const LOCAL_LOCK_INFO_EXTRA_BYTES = ".".length + ".lock.info".length;
/** Longest S3 object key: 1,024 bytes of UTF-8 (AWS S3 user guide, "Naming Amazon S3 objects"). */
export const MAX_S3_KEY_BYTES = 1024;
/**
 * With `use_lockfile` the S3 backend locks with the object `<key>.tflock`
 * (hashicorp/terraform `internal/backend/remote-state/s3`, lockFileSuffix).
 */
export const S3_LOCK_SUFFIX = ".tflock";
/**
 * HCP Terraform and Terraform Enterprise workspace names: letters, digits,
 * '-' and '_' (hashicorp/terraform-docs-common
 * `website/docs/cloud-docs/api-docs/workspaces.mdx`, `data.attributes.name`).
 */
export const WORKSPACE_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
/** The HCP Terraform host. */
export const HCP_TERRAFORM_HOST = "app.terraform.io";
/**
 * Workspace names were limited to 90 characters; HCP Terraform raised the
 * limit to 260 in September 2023 (hashicorp/terraform-docs-common PR #441).
 * Terraform Enterprise hosts may run a release from before that, so they
 * get 90. HCP Terraform keeps 260: a workspace name of 91-260 characters
 * there may already hold a deployed Sovereign's state.
 */
export const MAX_WORKSPACE_NAME_LENGTH = { hcpTerraform: 260, terraformEnterprise: 90 } as const;
/** Shortest stack part of a state name: one character, '-' and the hash. */
export const MIN_SHORT_STACK_LENGTH = 1 + 1 + HASH_HEX_DIGITS;

/** Longest workspace name a host takes. */
export function maxWorkspaceNameLength(hostname: string): number {
  return hostname === HCP_TERRAFORM_HOST ? MAX_WORKSPACE_NAME_LENGTH.hcpTerraform : MAX_WORKSPACE_NAME_LENGTH.terraformEnterprise;
}

/**
 * The stack name in at most `room` characters: the stack name itself when it
 * fits (a deployed Sovereign's state never moves), else its first characters,
 * '-' and the FQDN's hash. Undefined when `room` is below MIN_SHORT_STACK_LENGTH.
 */
export function fitStackName(fqdn: string, room: number): string | undefined {
  const stack = stackName(fqdn);
  if (stack.length <= room) return stack;
  if (room < MIN_SHORT_STACK_LENGTH) return undefined;
  const hash = fqdnHash(fqdn);
  return `${stack.slice(0, room - `-${hash}`.length).replace(/-+$/, "")}-${hash}`;
}

/** The state settings of a Sovereign file (its `state` block with defaults). */
export type StateSettings =
  | { readonly backend: "local" }
  | { readonly backend: "s3"; readonly keyPrefix: string }
  | { readonly backend: "remote"; readonly hostname: string; readonly workspacePrefix: string };

/** Where a Sovereign's state is in its backend, or why no valid place exists (with the field to change). */
export type StateNameResult = { readonly name: string } | { readonly path: string; readonly message: string };

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/**
 * The state's name in its backend: the local state file's name
 * (`terraform.<stack>.tfstate`, in the project root), the S3 object key
 * (`<keyPrefix>/<stack>.tfstate`) or the workspace name
 * (`<workspacePrefix><stack>`), with <stack> shortened by fitStackName only
 * where the name, or the lock file Terraform derives from it, would break
 * its limit.
 */
export function stateName(fqdn: string, state: StateSettings): StateNameResult {
  const stateSuffix = ".tfstate";
  switch (state.backend) {
    case "local": {
      const prefix = "terraform.";
      const room = MAX_FILE_NAME_BYTES - LOCAL_LOCK_INFO_EXTRA_BYTES - prefix.length - stateSuffix.length;
      // room is 226 characters, far above MIN_SHORT_STACK_LENGTH: the stack part always exists.
      return { name: `${prefix}${fitStackName(fqdn, room)!}${stateSuffix}` };
    }
    case "s3": {
      const room = MAX_S3_KEY_BYTES - bytes(`${state.keyPrefix}/${stateSuffix}${S3_LOCK_SUFFIX}`);
      const stack = fitStackName(fqdn, room);
      if (stack === undefined) {
        const longest = MAX_S3_KEY_BYTES - bytes(`/${stateSuffix}${S3_LOCK_SUFFIX}`) - MIN_SHORT_STACK_LENGTH;
        return { path: "state.keyPrefix", message: `is ${bytes(state.keyPrefix)} bytes: the lock object <keyPrefix>/<stack>${stateSuffix}${S3_LOCK_SUFFIX} must fit S3's ${MAX_S3_KEY_BYTES}-byte key limit with at least ${MIN_SHORT_STACK_LENGTH} characters of stack name; use at most ${longest} characters` };
      }
      return { name: `${state.keyPrefix}/${stack}${stateSuffix}` };
    }
    case "remote": {
      const max = maxWorkspaceNameLength(state.hostname);
      const stack = fitStackName(fqdn, max - state.workspacePrefix.length);
      if (stack === undefined) {
        return { path: "state.workspacePrefix", message: `is ${state.workspacePrefix.length} characters: the workspace <workspacePrefix><stack> must be at most ${max} characters on ${state.hostname} with at least ${MIN_SHORT_STACK_LENGTH} characters of stack name; use at most ${max - MIN_SHORT_STACK_LENGTH} characters` };
      }
      return { name: `${state.workspacePrefix}${stack}` };
    }
  }
}

/** Undefined when `name` is a valid state name for the backend, else what is wrong. */
export function checkStateName(name: string, state: StateSettings): string | undefined {
  switch (state.backend) {
    case "local": {
      const lockInfo = `.${name}.lock.info`;
      if (name.includes("/") || bytes(lockInfo) > MAX_FILE_NAME_BYTES) return `state file ${JSON.stringify(name)} gives the lock file ${JSON.stringify(lockInfo)}, not a file name of at most ${MAX_FILE_NAME_BYTES} bytes`;
      return undefined;
    }
    case "s3":
      return bytes(`${name}${S3_LOCK_SUFFIX}`) > MAX_S3_KEY_BYTES ? `state object key ${JSON.stringify(name)} gives the lock object key ${JSON.stringify(`${name}${S3_LOCK_SUFFIX}`)}, longer than ${MAX_S3_KEY_BYTES} bytes` : undefined;
    case "remote": {
      const max = maxWorkspaceNameLength(state.hostname);
      return WORKSPACE_NAME_PATTERN.test(name) && name.length <= max ? undefined : `workspace ${JSON.stringify(name)} is not a workspace name of ${state.hostname} (1-${max} letters, digits, '-', '_')`;
    }
  }
}
