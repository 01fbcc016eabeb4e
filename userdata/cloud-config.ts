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
   * Holds a secret only its own step (the fragment that declares it) uses.
   * Its lifetime on disk: from cloud-init's write_files until that step
   * succeeds, or until any step fails, whichever comes first; the step
   * runner deletes it (see userdata/scripts/catalyst-step.sh). Resuming
   * re-creates it only while its step is not done. @default false
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
  /**
   * Debian packages the step needs. cloud-init installs them all before
   * runcmd; when the step has a command, the step runner checks they are
   * installed before running it (cloud-init carries on when apt fails) and
   * fails the step naming a missing one.
   */
  readonly packages?: readonly string[];
  readonly files?: readonly WriteFile[];
  /** The step's one command; it runs under the step runner, which leaves the step's marker. */
  readonly command?: Command;
}

/** Options of {@link composeCloudConfig}. */
export interface ComposeOptions {
  /** Path of the step runner every command runs under (`runner STEP COMMAND...`). */
  readonly stepRunner: string;
  /**
   * Where the step manifest goes, when any step needs packages or has secret
   * files: one line per such step, `STEP WORD...`, a word starting with '/'
   * a secret file of the step, any other a package it needs.
   */
  readonly stepManifest?: string;
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

/** Two declarations of one file with identical content and attributes. */
function sameFile(a: WriteFile, b: WriteFile): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof WriteFile)[]);
  return [...keys].every((k) => a[k] === b[k]);
}

/**
 * The step manifest's text (see {@link ComposeOptions.stepManifest}), or
 * undefined when no step needs packages or has secret files.
 */
export function stepManifest(fragments: readonly Fragment[]): string | undefined {
  const lines: string[] = [];
  for (const fragment of fragments) {
    const secrets = (fragment.files ?? []).filter((f) => f.removeOnFailure).map((f) => f.path);
    const words = [...(fragment.packages ?? []), ...secrets];
    if (words.length === 0) continue;
    // Without a command the step runner never sees the step: its secrets would stay until a failure.
    if (secrets.length > 0 && !fragment.command) throw new CloudConfigConflictError(`step ${fragment.step} has secret files but no command that would use them`);
    for (const word of [fragment.step, ...words]) {
      if (!/^[A-Za-z0-9/._+:-]+$/.test(word)) throw new CloudConfigConflictError(`step ${fragment.step}: ${JSON.stringify(word)} cannot go into the step manifest (one word of letters, digits and / . _ + : -)`);
    }
    for (const p of fragment.packages ?? []) {
      if (p.startsWith("/")) throw new CloudConfigConflictError(`step ${fragment.step}: package ${p} must not start with /`);
    }
    lines.push(`${[fragment.step, ...words].join(" ")}\n`);
  }
  return lines.length > 0 ? lines.join("") : undefined;
}

/**
 * Merges fragments in the order given: packages de-duplicated in first-seen
 * order, files concatenated (a path written by two steps is refused unless
 * both declare the same non-secret file, which is then written once),
 * commands in step order.
 */
export function composeCloudConfig(fragments: readonly Fragment[], options: ComposeOptions): CloudConfig {
  const packages: string[] = [];
  const files: WriteFile[] = [];
  const runcmd: Command[] = [];
  const pathOwner = new Map<string, { step: string; file: WriteFile }>();
  const steps = new Set<string>();
  for (const fragment of fragments) {
    if (steps.has(fragment.step)) throw new CloudConfigConflictError(`step ${fragment.step} appears twice`);
    steps.add(fragment.step);
    for (const p of fragment.packages ?? []) if (!packages.includes(p)) packages.push(p);
    for (const file of fragment.files ?? []) {
      const other = pathOwner.get(file.path);
      if (other) {
        // Steps may share a file (a script two steps run): the same file is
        // written once. A secret belongs to one step, so it is never shared.
        if (sameFile(other.file, file) && !file.removeOnFailure) continue;
        throw new CloudConfigConflictError(`${file.path} is written by both step ${other.step} and step ${fragment.step}`);
      }
      if (!file.path.startsWith("/")) throw new CloudConfigConflictError(`step ${fragment.step}: file path ${file.path} must be absolute`);
      pathOwner.set(file.path, { step: fragment.step, file });
      files.push(file);
    }
    if (fragment.command) runcmd.push([options.stepRunner, fragment.step, ...fragment.command]);
  }
  const manifest = stepManifest(fragments);
  if (manifest && options.stepManifest) files.push({ path: options.stepManifest, content: manifest, permissions: "0600" });
  return {
    package_update: true,
    package_upgrade: options.packageUpgrade ?? false,
    packages,
    write_files: files,
    runcmd,
    final_message: options.finalMessage,
  };
}
