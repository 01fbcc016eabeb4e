/**
 * The settings of one boot's fake internet. The fake server re-reads the
 * control part on every request, so a scenario can change the fakes'
 * behaviour between a failure and its resume.
 */

/** Fixed for the life of the fake server. */
export interface FakesConfig {
  /** Files served, as <site>/<host>/<path>. */
  readonly site: string;
  /** Where requests, API bodies and refusals are recorded. */
  readonly records: string;
  readonly cert: string;
  readonly key: string;
  /** Served at /cacerts on the load balancer's private address. */
  readonly caCert: string;
  /** Address the faked public host names resolve to (port 443). */
  readonly publicIp: string;
  /** The load balancer's private address (/cacerts on 6443). */
  readonly loadBalancerIp: string;
  /** The container's gateway (apt proxy on 3142). */
  readonly gatewayIp: string;
  /** Unix socket of the rehearsal's apt proxy (in the host's network namespace). */
  readonly aptSocket: string;
  /** The control file. */
  readonly control: string;
}

/** A deployment the fake provisioning API knows. */
export interface FakeDeployment {
  /** SHA-256 (hex) of its bearer; absent: 403 no-bearer-hash. */
  readonly bearerSha256?: string;
}

/** Changeable while the boot runs. */
export interface FakesControl {
  /** Site key (host + path) to the file served instead. */
  readonly serve: Readonly<Record<string, string>>;
  /** "answer": /cacerts answers; "never": connections are accepted and never answered. */
  readonly cacerts: "answer" | "never";
  /** The provisioning API: host name, base path and deployments by id. */
  readonly api?: { readonly host: string; readonly basePath: string; readonly deployments: Readonly<Record<string, FakeDeployment>> };
}

/** Port of the apt proxy on the gateway. */
export const APT_PROXY_PORT = 3142;
