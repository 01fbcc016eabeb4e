/** Where things live on a server. One place, so scripts, steps and docs agree. */
export const PATHS = {
  /** Runs each boot step and leaves its marker. */
  stepRunner: "/usr/local/sbin/catalyst-step",
  /** How runcmd calls it: /usr/local/sbin is on the PATH of cloud-init's systemd units (fewer bytes per command). */
  stepRunnerCommand: "catalyst-step",
  /** Boot scripts. */
  scripts: "/usr/local/lib/catalyst",
  /** Step markers: <step>.done, <step>.failed, <step>.log. */
  steps: "/var/lib/catalyst/steps",
  /** Step manifest: the packages each step needs and the secret files only it uses. */
  stepManifest: "/etc/catalyst/steps",
  /** The runcmd script cloud-init writes; `catalyst-step --resume` re-runs it. */
  runcmdScript: "/var/lib/cloud/instance/scripts/runcmd",
  /** Written when every step succeeded. */
  complete: "/var/lib/catalyst/cloud-init-complete",
  sovereignJson: "/var/lib/catalyst/sovereign.json",
  /** Settings and secrets of this program (0700 by the files in it being 0600). */
  etc: "/etc/catalyst",
  k3sConfig: "/etc/rancher/k3s/config.yaml",
  k3sKubeconfig: "/etc/rancher/k3s/k3s.yaml",
  ciliumValues: "/etc/catalyst/cilium-values.yaml",
  /** The CiliumClusterwideNetworkPolicy denying pods the metadata service. */
  metadataPolicy: "/var/lib/catalyst/metadata-service-policy.yaml",
  hcloudCcmValues: "/etc/catalyst/hcloud-ccm-values.yaml",
  /** kube-system/hcloud: the cloud controller's API token and network (0600, removed once applied). */
  hcloudSecret: "/var/lib/catalyst/hcloud-secret.yaml",
  postbackSettings: "/etc/catalyst/postback.json",
  postbackBearer: "/etc/catalyst/postback-bearer",
  pullSecret: "/var/lib/catalyst/ghcr-pull-secret.yaml",
  fluxBootstrap: "/var/lib/catalyst/flux-bootstrap.yaml",
  // sshd keeps the first value it reads and reads drop-ins in name order: a
  // 00- file wins over cloud-init's 50-cloud-init.conf (the reference's 99-
  // file lost to it).
  sshdDropIn: "/etc/ssh/sshd_config.d/00-catalyst-hardening.conf",
  fail2banJail: "/etc/fail2ban/jail.d/catalyst-sshd.local",
  autoUpgrades: "/etc/apt/apt.conf.d/20auto-upgrades",
  unattendedUpgrades: "/etc/apt/apt.conf.d/52unattended-upgrades-catalyst",
} as const;

/** Path of a boot script by file name. */
export function scriptPath(name: string): string {
  return `${PATHS.scripts}/${name}`;
}

/** Deadlines, in seconds, of the boot waits. */
export const DEADLINES = {
  /**
   * Every role: how long to wait for node-ip on the private interface before
   * installing k3s (hetzner-k3s waits up to 300 s), and again for the k3s
   * service to become active after it is started.
   */
  k3sStartSec: 300,
  /** How long servers 2-3 and agents wait for the cluster to answer at the join address. */
  joinSec: 1200,
  apiReadySec: 600,
  /** How long to wait for k3s's local-path StorageClass (it appears seconds after k3s starts). */
  storageClassSec: 300,
  postbackSec: 900,
  ciliumSec: 600,
  /** For the Cilium operator to register its CRDs. */
  ciliumCrdSec: 300,
  /** For the cloud controller to run and initialise server 1's node. */
  hcloudCcmSec: 600,
  fluxSec: 600,
} as const;
