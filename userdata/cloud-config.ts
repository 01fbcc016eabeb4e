/**
 * The typed cloud-config model: the subset of cloud-init's
 * schema-cloud-config-v1.json this project uses, with cloud-init's own key
 * names, plus the fragment type boot steps return and the composer that
 * merges fragments in a declared order.
 *
 * Field names follow cloud-init's schema (cloudinit/config/schemas/
 * schema-cloud-config-v1.json), so the rendered object is the document.
 */

/** A file cloud-init writes (cloud-init `write_files` item). */
export interface WriteFile {
  /** Absolute path on the server. */
  readonly path: string;
  /** File content. Carries cdktf tokens only when `runtime` is set. */
  readonly content: string;
  /**
   * The content carries values known only at apply time (load balancer IPs,
   * the cluster token, variables). The renderer delivers such a file
   * base64-encoded, so no runtime value is ever parsed as YAML.
   * @default false
   */
  readonly runtime?: boolean;
  /** Octal mode as a quoted string, like "0600". */
  readonly permissions: FileMode;
  /** owner:group. @default "root:root" */
  readonly owner?: string;
  /**
   * Deliver gzip-compressed (cloud-init `encoding: gz+b64`); cloud-init
   * writes the plain content. For scripts and large generated files: user
   * data is capped at 32 KiB.
   * Not for runtime content. @default false
   */
  readonly compress?: boolean;
  /**
   * Holds a secret that is needed only by a later step: the step runner
   * deletes it as soon as any step fails. @default false
   */
  readonly removeOnFailure?: boolean;
  /** Write after packages are installed and users exist. @default false */
  readonly defer?: boolean;
}

/** File modes used in this project, as strings so YAML 1.1 cannot read them as numbers. */
export type FileMode = "0600" | "0640" | "0644" | "0700" | "0750" | "0755";

/** A command as argv: cloud-init quotes each element, no shell involved in its words. */
export type Command = readonly [string, ...string[]];

/** The cloud-config document this project renders. */
export interface CloudConfig {
  readonly package_update: boolean;
  readonly package_upgrade: boolean;
  readonly packages: readonly string[];
  readonly write_files: readonly WriteFile[];
  readonly runcmd: readonly Command[];
  readonly final_message: string;
}

/** What one boot step contributes. Steps are pure functions returning one. */
export interface Fragment {
  /** Step name: names its marker /var/lib/catalyst/steps/<step>.done|.failed. */
  readonly step: string;
  readonly packages?: readonly string[];
  readonly files?: readonly WriteFile[];
  /** The step's one command; it runs under the step runner, which leaves the step's marker. */
  readonly command?: Command;
}

/** Options of {@link composeCloudConfig}. */
export interface ComposeOptions {
  /** Path of the step runner every command runs under (`runner STEP COMMAND...`). */
  readonly stepRunner: string;
  /** Where the list of `removeOnFailure` files goes (one path a line), when there are any. */
  readonly removeOnFailureList?: string;
  /** Upgrade all packages at first boot. @default false (k3s pins what it needs; upgrades come from unattended-upgrades) */
  readonly packageUpgrade?: boolean;
  /** Message cloud-init logs when done. */
  readonly finalMessage: string;
}

/** Refused: two steps write the same path, or a step is named twice. */
export class CloudConfigConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CloudConfigConflictError";
  }
}

/**
 * Merges fragments in the order given: packages de-duplicated in first-seen
 * order, files concatenated (a path written by two steps is refused),
 * commands in step order.
 */
export function composeCloudConfig(fragments: readonly Fragment[], options: ComposeOptions): CloudConfig {
  const packages: string[] = [];
  const files: WriteFile[] = [];
  const runcmd: Command[] = [];
  const pathOwner = new Map<string, string>();
  const steps = new Set<string>();
  for (const fragment of fragments) {
    if (steps.has(fragment.step)) throw new CloudConfigConflictError(`step ${fragment.step} appears twice`);
    steps.add(fragment.step);
    for (const p of fragment.packages ?? []) if (!packages.includes(p)) packages.push(p);
    for (const file of fragment.files ?? []) {
      const other = pathOwner.get(file.path);
      if (other) throw new CloudConfigConflictError(`${file.path} is written by both step ${other} and step ${fragment.step}`);
      if (!file.path.startsWith("/")) throw new CloudConfigConflictError(`step ${fragment.step}: file path ${file.path} must be absolute`);
      pathOwner.set(file.path, fragment.step);
      files.push(file);
    }
    if (fragment.command) runcmd.push([options.stepRunner, fragment.step, ...fragment.command]);
  }
  const secrets = files.filter((f) => f.removeOnFailure).map((f) => f.path);
  if (secrets.length > 0 && options.removeOnFailureList) {
    files.push({ path: options.removeOnFailureList, content: secrets.map((p) => `${p}\n`).join(""), permissions: "0600" });
  }
  return {
    package_update: true,
    package_upgrade: options.packageUpgrade ?? false,
    packages,
    write_files: files,
    runcmd,
    final_message: options.finalMessage,
  };
}
