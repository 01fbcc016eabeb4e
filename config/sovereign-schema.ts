/**
 * The Sovereign file format: the one source of truth for the validator
 * (config/load.ts) and for the JSON Schema editors use (sovereign.schema.json,
 * generated from this by `npm run schema`).
 *
 * Each field states what is allowed in its error message, so that a
 * rejection tells the user the fix. Checks that a regular expression cannot
 * express (CIDR host bits, an SSH key's embedded type) are refinements: the
 * validator runs them, the JSON Schema carries the looser pattern.
 */
import * as z from "zod";
import {
  CLOUD_CONTROLLERS,
  DEFAULT_CLOUD_CONTROLLER,
  DEFAULT_FLUX_VERSION,
  FLUX_CHART_BY_RELEASE,
  DEFAULT_GITOPS_BRANCH,
  DEFAULT_GITOPS_LAYOUT,
  GITOPS_LAYOUTS,
  DEFAULT_GITOPS_REPO_URL,
  DEFAULT_K3S_VERSION,
  DEFAULT_LOAD_BALANCER_TYPE,
  DEFAULT_POSTBACK_API_URL,
  DEFAULT_REGISTRY_USERNAME,
  LOAD_BALANCER_TYPES,
  LOCATIONS,
  DEPRECATED_SERVER_TYPE,
  DEFAULT_SERVER_TYPES,
  EU_LOCATIONS,
  MAX_WORKERS,
  SERVER_TYPE_FAMILIES,
  serverTypesIn,
} from "./defaults";
import { checkCidr, checkGitUrl, checkHttpsUrl, checkSshPublicKey } from "./checks";

const LABEL = "[a-z]([a-z0-9-]{0,61}[a-z0-9])?";

/** Lowercase RFC 1035 domain name with at least two labels. */
export const FQDN_PATTERN = new RegExp(`^(?=.{1,253}$)(${LABEL}\\.)+${LABEL}$`);
const fqdn = z
  .string({ error: "must be a domain name like omantel.omani.works" })
  .regex(FQDN_PATTERN, "must be a lowercase RFC 1035 domain name with at least two labels (letters, digits, '-'; each label starts with a letter, at most 63 characters), like omantel.omani.works")
  .describe(
    "The Sovereign's domain; names the stack (<fqdn with dashes>) and every Hetzner resource (catalyst-<stack>-<suffix>, or catalyst-<first 33 characters of the stack>-<hash>-<suffix> where that would exceed 63 characters) and is the value of the catalyst.openova.io/sovereign label (shortened to 52 characters plus -<hash> beyond 63). The hash: the first 10 hex digits of the FQDN's SHA-256.",
  );

const subdomain = z
  .string()
  .regex(new RegExp(`^${LABEL}$`), "must be one lowercase DNS label (letters, digits, '-', starting with a letter, at most 63 characters)")
  .describe("Short name of the Sovereign. Default: the first label of fqdn.");

// Printable text: no control characters (newlines, tabs, escapes), which no
// organisation name or e-mail needs and which would only ever confuse logs.
const printable = /^[^\p{Cc}\p{Cs}]+$/u;

const org = z
  .strictObject({
    name: z
      .string()
      .min(1, "must not be empty")
      .max(200, "must be at most 200 characters")
      .regex(printable, "must be printable text on one line (no newlines, tabs or other control characters)")
      .describe("Organisation's display name; any printable text, quotes and $ included."),
    email: z
      .string()
      .max(254, "must be at most 254 characters")
      .regex(/^[^\s@"'`$\\]+@[^\s@"'`$\\]+\.[^\s@"'`$\\.]+$/, "must be an e-mail address: one '@' followed by a domain with a dot, no spaces or quotes")
      .describe("Operations contact of the organisation."),
  })
  .describe("The organisation that owns the Sovereign.");

const location = z
  .enum(LOCATIONS, { error: `must be one of the Hetzner locations ${LOCATIONS.join(", ")}` })
  .describe("Hetzner location of every server and the load balancer.");

/** Hetzner server types of the families this project supports (cax is Arm). */
export const SERVER_TYPE_PATTERN = /^(cx|cpx|ccx|cax)[1-9][0-9]{1,2}$/;
const serverType = () =>
  z
    .string()
    .regex(SERVER_TYPE_PATTERN, "must be a Hetzner server type of the cx, cpx, ccx or cax (Arm) families, like cx43, cpx42, ccx23 or cax21")
    .optional();
const { eu, elsewhere } = DEFAULT_SERVER_TYPES;

const controlPlane = z
  .strictObject({
    serverType: serverType().describe(
      `Server type of control-plane servers (cx and cax only in ${EU_LOCATIONS.join(", ")}). Default: ${eu.controlPlane} in those, ${elsewhere.controlPlane} elsewhere.`,
    ),
    ha: z.boolean({ error: "must be true or false" }).default(false).describe("true: three control-plane servers forming one etcd cluster; false: one. Default: false."),
  })
  .default({ ha: false })
  .describe("The k3s servers.");

const workers = z
  .strictObject({
    serverType: serverType().describe(`Server type of workers (cx and cax only in ${EU_LOCATIONS.join(", ")}). Default: ${eu.workers} in those, ${elsewhere.workers} elsewhere.`),
    count: z
      .int({ error: `must be a whole number from 0 to ${MAX_WORKERS}` })
      .min(0, `must be a whole number from 0 to ${MAX_WORKERS}`)
      .max(MAX_WORKERS, `must be a whole number from 0 to ${MAX_WORKERS}`)
      .default(0)
      .describe(`Number of k3s agents, 0 to ${MAX_WORKERS}. Default: 0.`),
  })
  .default({ count: 0 })
  .describe("The k3s agents.");

/** A k3s release tag. */
export const K3S_VERSION_PATTERN = /^v[0-9]+\.[0-9]+\.[0-9]+\+k3s[0-9]+$/;
const k3s = z
  .strictObject({
    version: z
      .string()
      .regex(K3S_VERSION_PATTERN, "must be a k3s release like v1.31.4+k3s1 (vMAJOR.MINOR.PATCH+k3sN)")
      .default(DEFAULT_K3S_VERSION)
      .describe(`k3s release installed on every server. Default: ${DEFAULT_K3S_VERSION}.`),
    localStorage: z
      .boolean({ error: "must be true or false" })
      .default(true)
      .describe(
        "Keep k3s's local-path storage provisioner and make its local-path StorageClass the default before Flux starts (the bootstrap kit's volume claims wait for a default class). false: no local-path, and the GitOps tree must provide a default StorageClass itself. Default: true.",
      ),
  })
  .default({ version: DEFAULT_K3S_VERSION, localStorage: true })
  .describe("k3s settings.");

const cloudController = z
  .enum(CLOUD_CONTROLLERS, { error: `must be one of ${CLOUD_CONTROLLERS.join(", ")}` })
  .default(DEFAULT_CLOUD_CONTROLLER)
  .describe(
    `Cloud controller of the cluster. hcloud: Hetzner's cloud controller manager, installed at boot (nodes named after their servers, hcloud:// provider IDs for load balancers and volumes; API token from TF_VAR_hcloud_ccm_token, else TF_VAR_hcloud_token). k3s: k3s's built-in one (no Hetzner integration). Decided at first boot: a node cannot change it later. Default: ${DEFAULT_CLOUD_CONTROLLER}.`,
  );

const cidrList = (what: string) =>
  z
    .array(
      z
        .string({ error: "must be a CIDR like 203.0.113.0/24 or 2001:db8::/32" })
        .superRefine((value, ctx) => {
          const problem = checkCidr(value);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
      { error: "must be a list of CIDRs" },
    )
    .default([])
    .describe(what);

const ssh = z
  .strictObject({
    publicKey: z
      .string({ error: "must be an OpenSSH public key line" })
      .superRefine((value, ctx) => {
        const problem = checkSshPublicKey(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .describe(
        "The operator's own OpenSSH public key (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa, or a security key: sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com); never generated, so break-glass access stays with a named person.",
      ),
    allowedCidrs: cidrList("Sources allowed to reach SSH (tcp 22) on every server's public address. Default: none (no SSH rule at all)."),
  })
  .describe("Break-glass SSH access.");

const firewall = z
  .strictObject({
    apiAllowedCidrs: cidrList(
      "Sources allowed to reach the Kubernetes API (tcp 6443) on the servers' own public addresses, for operators who want direct node access. Default: none (the API is reached through the load balancer).",
    ),
  })
  .default({ apiAllowedCidrs: [] })
  .describe("Extra openings of the servers' firewall. Everything not listed stays closed.");

const hardening = z
  .strictObject({
    unattendedUpgrades: z.boolean({ error: "must be true or false" }).default(true).describe("Install security updates daily, rebooting when needed (control-plane servers 30 minutes apart from 02:30, workers from 04:00). Default: true."),
    fail2ban: z.boolean({ error: "must be true or false" }).default(true).describe("Ban SSH brute-forcers with fail2ban. Default: true."),
  })
  .default({ unattendedUpgrades: true, fail2ban: true })
  .describe("Operating-system hardening switches.");

/** git check-ref-format rules for a branch name, as one pattern. */
export const BRANCH_PATTERN =
  /^(?!-)(?!\/)(?!\.)(?!@$)(?!.*\.\.)(?!.*\/\/)(?!.*\/\.)(?!.*@\{)(?!.*\.lock$)(?!.*\.lock\/)(?!.*\/$)(?!.*\.$)[^\x00-\x20\x7f~^:?*[\\]{1,200}$/;
const gitops = z
  .strictObject({
    repoUrl: z
      .string({ error: "must be a git URL" })
      .superRefine((value, ctx) => {
        const problem = checkGitUrl(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .default(DEFAULT_GITOPS_REPO_URL)
      .describe(`Git repository Flux follows, over https (public, or readable without credentials). Default: ${DEFAULT_GITOPS_REPO_URL}.`),
    branch: z
      .string({ error: "must be a git branch name" })
      .regex(BRANCH_PATTERN, "must be a valid git branch name (no spaces, '..', '~', '^', ':', '?', '*', '[', '\\', '@{', no leading '-' or '.', no trailing '/', '.' or '.lock')")
      .default(DEFAULT_GITOPS_BRANCH)
      .describe(`Branch Flux follows. Default: ${DEFAULT_GITOPS_BRANCH}.`),
    layout: z
      .enum(GITOPS_LAYOUTS, { error: `must be one of ${GITOPS_LAYOUTS.join(", ")}` })
      .default(DEFAULT_GITOPS_LAYOUT)
      .describe(
        `Where in the repository the cluster's tree is. template: the shared clusters/_template, with the Sovereign's values substituted by Flux (\${SOVEREIGN_FQDN} and the others in the README's GitOps section); per-fqdn: clusters/<fqdn>, which must be committed before provisioning. Default: ${DEFAULT_GITOPS_LAYOUT}.`,
      ),
  })
  .default({ repoUrl: DEFAULT_GITOPS_REPO_URL, branch: DEFAULT_GITOPS_BRANCH, layout: DEFAULT_GITOPS_LAYOUT })
  .describe("Where the Sovereign's Flux takes its desired state from: a git repository, branch and layout.");

const registry = z
  .strictObject({
    pullSecret: z
      .boolean({ error: "must be true or false" })
      .default(true)
      .describe("Create the flux-system/ghcr-pull Secret from TF_VAR_ghcr_pull_token. false: the registry needs no credentials and the token may be empty. Default: true."),
    username: z
      .string()
      .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,38})$/, "must be a GitHub user or organisation name (letters, digits, '-', at most 39 characters)")
      .default(DEFAULT_REGISTRY_USERNAME)
      .describe(`User name in the pull Secret. Default: ${DEFAULT_REGISTRY_USERNAME}.`),
  })
  .default({ pullSecret: true, username: DEFAULT_REGISTRY_USERNAME })
  .describe("Credentials for ghcr.io, where the platform's charts live.");

const postback = z
  .strictObject({
    deploymentId: z
      .string({ error: "must be 16 lowercase hex characters" })
      .regex(/^[0-9a-f]{16}$/, "must be 16 lowercase hex characters, like 5cd1bceaaacb71f6")
      .describe("The provisioning API's id of this deployment."),
    apiUrl: z
      .string({ error: "must be an https URL" })
      .superRefine((value, ctx) => {
        const problem = checkHttpsUrl(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .default(DEFAULT_POSTBACK_API_URL)
      .describe(`Base URL of the provisioning API. Default: ${DEFAULT_POSTBACK_API_URL}.`),
  })
  .describe("Send the kubeconfig back to the provisioning API once the cluster is up (needs TF_VAR_kubeconfig_bearer_token). Omit to skip.");

const HELM_VERSION_PATTERN = /^v3\.[0-9]+\.[0-9]+$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const versions = z
  .strictObject({
    cilium: z
      .strictObject({
        version: z.string().regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, "must be a Cilium chart version like 1.16.5").describe("Chart version, like 1.16.5."),
        chartSha256: z
          .string()
          .regex(SHA256_PATTERN, "must be the 64-hex SHA-256 of cilium-<version>.tgz (the digest in https://helm.cilium.io/index.yaml)")
          .describe("SHA-256 of cilium-<version>.tgz (its digest in https://helm.cilium.io/index.yaml)."),
      })
      .optional()
      .describe("Cilium Helm chart, with the SHA-256 of its archive. Default: the pinned chart in userdata/versions.ts."),
    hcloudCcm: z
      .strictObject({
        version: z.string().regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, "must be a hcloud-cloud-controller-manager chart version like 1.30.1").describe("Chart version, like 1.30.1."),
        chartSha256: z
          .string()
          .regex(SHA256_PATTERN, "must be the 64-hex SHA-256 of hcloud-cloud-controller-manager-<version>.tgz (the digest in https://charts.hetzner.cloud/index.yaml)")
          .describe("SHA-256 of hcloud-cloud-controller-manager-<version>.tgz (its digest in https://charts.hetzner.cloud/index.yaml)."),
      })
      .optional()
      .describe("Hetzner cloud controller manager Helm chart (cloudController: hcloud), with the SHA-256 of its archive. Default: the pinned chart in userdata/versions.ts."),
    flux: z
      .enum(Object.keys(FLUX_CHART_BY_RELEASE) as [keyof typeof FLUX_CHART_BY_RELEASE], {
        error: `must be a Flux release whose flux2 chart is known: ${Object.entries(FLUX_CHART_BY_RELEASE)
          .map(([flux, chart]) => `${flux} (flux2 chart ${chart})`)
          .join(", ")}; the GitOps repository's Flux HelmRelease must use that chart version, or its adoption rolls back and deletes Flux`,
      })
      .default(DEFAULT_FLUX_VERSION)
      .describe(
        `Flux release whose install manifest is applied; the GitOps repository's flux2 chart must carry the same Flux (${Object.entries(FLUX_CHART_BY_RELEASE)
          .map(([flux, chart]) => `${flux}: chart ${chart}`)
          .join(", ")}). Default: ${DEFAULT_FLUX_VERSION}.`,
      ),
    helm: z
      .strictObject({
        version: z.string().regex(HELM_VERSION_PATTERN, "must be a Helm 3 release like v3.16.4").describe("Helm release, like v3.16.4."),
        sha256Amd64: z.string().regex(SHA256_PATTERN, "must be the 64-hex SHA-256 of helm-<version>-linux-amd64.tar.gz").describe("SHA-256 of helm-<version>-linux-amd64.tar.gz."),
        sha256Arm64: z.string().regex(SHA256_PATTERN, "must be the 64-hex SHA-256 of helm-<version>-linux-arm64.tar.gz").describe("SHA-256 of helm-<version>-linux-arm64.tar.gz."),
      })
      .optional()
      .describe("Helm release used to install Cilium, with the SHA-256 of both Linux archives. Default: the pinned release in userdata/versions.ts."),
  })
  .default({ flux: DEFAULT_FLUX_VERSION })
  .describe("Pinned component versions (k3s's is k3s.version). Every download is checksum-verified where the project publishes a checksum.");

const loadBalancer = z
  .strictObject({
    type: z
      .enum(LOAD_BALANCER_TYPES, { error: `must be one of the Hetzner load balancer types ${LOAD_BALANCER_TYPES.join(", ")}` })
      .default(DEFAULT_LOAD_BALANCER_TYPE)
      .describe(`Load balancer type. Default: ${DEFAULT_LOAD_BALANCER_TYPE}.`),
  })
  .default({ type: DEFAULT_LOAD_BALANCER_TYPE })
  .describe("The load balancer in front of the control plane (HTTP, HTTPS, Kubernetes API).");

const protection = z
  .strictObject({
    enabled: z
      .boolean({ error: "must be true or false" })
      .default(false)
      .describe("Hetzner delete and rebuild protection on the servers, delete protection on the load balancer and network: they then cannot be deleted or rebuilt until it is switched off again. Default: false."),
  })
  .default({ enabled: false })
  .describe("Protection against accidental deletion in the Hetzner console or API.");

const s3State = z.strictObject({
  backend: z.literal("s3").describe("S3-compatible object storage, such as Hetzner Object Storage; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3-63 lowercase letters, digits, '.', '-')").describe("Bucket holding the state."),
  endpoint: z
    .string()
    .superRefine((value, ctx) => {
      const problem = checkHttpsUrl(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .describe("S3 endpoint, like https://fsn1.your-objectstorage.com (Hetzner Object Storage)."),
  region: z.string().regex(/^[a-z0-9-]{2,32}$/, "must be a region name like fsn1").default("fsn1").describe("Region the endpoint expects in signatures. Default: fsn1."),
  keyPrefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, "must be a path of letters, digits, '.', '_', '-' separated by '/'")
    .default("sovereigns")
    .describe("State object is <keyPrefix>/<stack>.tfstate, <stack> shortened to its start plus -<hash> only where the lock object (<key>.tflock) would pass S3's 1024-byte key limit; so at most 996 characters. Default: sovereigns."),
});
const remoteState = z.strictObject({
  backend: z.literal("remote").describe("HCP Terraform or Terraform Enterprise; token from TF_TOKEN_<host> or terraform login."),
  organization: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be an HCP Terraform organization name").describe("HCP Terraform organization."),
  hostname: z.string().regex(FQDN_PATTERN, "must be a host name").default("app.terraform.io").describe("HCP Terraform or Terraform Enterprise host. Default: app.terraform.io."),
  workspacePrefix: z.string().regex(/^[A-Za-z0-9_-]{0,40}$/, "must be letters, digits, '_' or '-'").default("").describe("Workspace is <workspacePrefix><stack>, <stack> shortened to its start plus -<hash> only where the name would pass 90 characters (260 on app.terraform.io, HCP Terraform). Default: empty."),
});
const localState = z.strictObject({
  backend: z.literal("local").describe("A state file in the project root, terraform.<stack>.tfstate; a <stack> over 226 characters is shortened to its first 215 plus -<hash>, so that Terraform's lock file name (.<file>.lock.info) stays within 255 bytes."),
});
const state = z
  .discriminatedUnion("backend", [localState, s3State, remoteState], { error: "must have backend: local, s3 or remote" })
  .default({ backend: "local" })
  .describe("Where Terraform keeps this Sovereign's state. Default: local, terraform.<stack>.tfstate in the project root (a relative path).");

/** The Sovereign file. */
export const sovereignFileSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Editor hint; ignored."),
    fqdn,
    subdomain: subdomain.optional(),
    org,
    location,
    controlPlane,
    workers,
    k3s,
    cloudController,
    ssh,
    firewall,
    hardening,
    gitops,
    registry,
    postback: postback.optional(),
    versions,
    loadBalancer,
    protection,
    state,
  })
  .superRefine((file, ctx) => {
    for (const role of ["controlPlane", "workers"] as const) {
      const type = file[role].serverType;
      if (!type) continue;
      if (DEPRECATED_SERVER_TYPE.test(type)) {
        ctx.addIssue({
          code: "custom",
          path: [role, "serverType"],
          message: `is a server type Hetzner deprecated on 2025-10-16 and no longer sells; use its successor (cx22..cx52 -> cx23..cx53, cpx11..cpx51 -> cpx12..cpx62), e.g. ${role === "workers" ? eu.workers : eu.controlPlane}`,
        });
        continue;
      }
      // The family by its letters, so that an unknown cx99 still gets the EU message.
      const family = SERVER_TYPE_FAMILIES.find((f) => f.family === /^[a-z]*/.exec(type)![0]);
      const offered = serverTypesIn(file.location);
      if (family && !family.locations.includes(file.location)) {
        ctx.addIssue({
          code: "custom",
          path: [role, "serverType"],
          message: `must be a cpx or ccx type in ${file.location}: Hetzner offers cx and cax only in ${EU_LOCATIONS.join(", ")} (e.g. ${role === "workers" ? elsewhere.workers : elsewhere.controlPlane})`,
        });
      } else if (!offered.includes(type)) {
        ctx.addIssue({
          code: "custom",
          path: [role, "serverType"],
          message: `is not a server type Hetzner offers in ${file.location}; offered there: ${offered.join(", ")}`,
        });
      }
    }
  })
  .describe("One Sovereign: a k3s cluster of one organisation on Hetzner Cloud.");

/** A Sovereign file as written (defaults not applied). */
export type SovereignFileInput = z.input<typeof sovereignFileSchema>;
/** A validated Sovereign file with every default applied. */
export type SovereignFile = z.output<typeof sovereignFileSchema>;
