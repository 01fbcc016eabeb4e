/**
 * Pinned versions and checksums of everything a server downloads, in one
 * place. A Sovereign file may override them (versions.*, k3s.version);
 * {@link resolveVersions} applies its overrides.
 */
import { DEFAULT_FLUX_VERSION, FLUX_CHART_BY_RELEASE, FluxRelease } from "../config/defaults";
import type { Sovereign } from "../config/load";

/** A Helm release and the SHA-256 of its Linux archives. */
export interface HelmRelease {
  readonly version: string;
  readonly sha256Amd64: string;
  readonly sha256Arm64: string;
}

/** A Cilium chart and the SHA-256 of its archive. */
export interface CiliumChart {
  readonly version: string;
  readonly chartSha256: string;
}

/** A hcloud-cloud-controller-manager chart and the SHA-256 of its archive. */
export interface HcloudCcmChart {
  readonly version: string;
  readonly chartSha256: string;
}

/** Everything a Sovereign's servers install, pinned. */
export interface Versions {
  /** k3s release; install.sh is fetched from the same tag. */
  readonly k3s: string;
  readonly helm: HelmRelease;
  readonly cilium: CiliumChart;
  /** Hetzner's cloud controller manager (cloudController: hcloud). */
  readonly hcloudCcm: HcloudCcmChart;
  /** Flux release whose install.yaml is applied (Flux publishes no separate checksum for it). */
  readonly flux: FluxRelease;
  /**
   * Version of the flux2 Helm chart whose appVersion is `flux`: the one the
   * GitOps repository's Flux HelmRelease must use to adopt the boot-time
   * Flux. The invariant: boot Flux = that chart's appVersion; change both
   * together (config/defaults.ts FLUX_CHART_BY_RELEASE holds the pairs).
   */
  readonly fluxChart: string;
}

/**
 * Helm v3.16.4 (checksums as published with the release on get.helm.sh,
 * cross-checked against kubespray's checksums.yml).
 */
export const DEFAULT_HELM: HelmRelease = {
  version: "v3.16.4",
  sha256Amd64: "fc307327959aa38ed8f9f7e66d45492bb022a66c3e5da6063958254b9767d179",
  sha256Arm64: "d3f8f15b3d9ec8c8678fbf3280c3e5902efabe5912e2f9fcf29107efbc8ead69",
};

/** Cilium chart 1.16.5 (digest from helm.cilium.io's index.yaml). */
export const DEFAULT_CILIUM: CiliumChart = {
  version: "1.16.5",
  chartSha256: "182035ae7c2cf8d19490ececf618f6a11adc460ed1e7dbd38b23065f02f18b4d",
};

/**
 * hcloud-cloud-controller-manager chart 1.30.1: its digest in
 * https://charts.hetzner.cloud/index.yaml (hetznercloud/helm-charts, the
 * same SHA-256 as the archive's Git LFS object there). The oldest release
 * that survives the API's removal of server.datacenter on 2026-07-01
 * (older ones panic, per its changelog), built on the same Kubernetes
 * 1.35 libraries as v1.29.2, which Hetzner lists for Kubernetes 1.31.
 */
export const DEFAULT_HCLOUD_CCM: HcloudCcmChart = {
  version: "1.30.1",
  chartSha256: "47fb5036597557f815cb27ca304ad4932366d788d5a2adfd91f0c9e9fcce96a6",
};

/** Where each download comes from. */
export const DOWNLOADS = {
  k3sInstaller: (k3sVersion: string) => `https://raw.githubusercontent.com/k3s-io/k3s/${encodeURIComponent(k3sVersion)}/install.sh`,
  helm: (version: string, arch: "amd64" | "arm64") => `https://get.helm.sh/helm-${version}-linux-${arch}.tar.gz`,
  ciliumChart: (version: string) => `https://helm.cilium.io/cilium-${version}.tgz`,
  hcloudCcmChart: (version: string) => `https://charts.hetzner.cloud/hcloud-cloud-controller-manager-${version}.tgz`,
  fluxInstall: (version: string) => `https://github.com/fluxcd/flux2/releases/download/${version}/install.yaml`,
} as const;

/** The Sovereign's versions: its overrides over the pinned defaults. */
export function resolveVersions(s: Pick<Sovereign, "k3s" | "versions">): Versions {
  const flux = s.versions.flux ?? DEFAULT_FLUX_VERSION;
  return {
    k3s: s.k3s.version,
    helm: s.versions.helm ?? DEFAULT_HELM,
    cilium: s.versions.cilium ?? DEFAULT_CILIUM,
    hcloudCcm: s.versions.hcloudCcm ?? DEFAULT_HCLOUD_CCM,
    flux,
    fluxChart: FLUX_CHART_BY_RELEASE[flux],
  };
}
