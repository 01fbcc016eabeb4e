/**
 * Reads Sovereign files and turns them into validated Sovereigns, or one
 * SovereignFileError carrying every problem of every file.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import type * as z from "zod";
import { defaultServerType } from "./defaults";
import { SovereignFileError, SovereignFileProblem, quoteValue } from "./errors";
import { SovereignNames, checkSovereignNames, checkStateName, sovereignNames, stackName, stateName } from "./names";
import { SovereignFile, sovereignFileSchema } from "./sovereign-schema";
import { SourceProblem, checkSourceSize, decodeSource, parseYamlSource } from "./yaml-source";

/** A validated Sovereign: the file's values with defaults, plus derived names. */
export interface Sovereign extends Omit<SovereignFile, "controlPlane" | "workers"> {
  readonly controlPlane: { readonly serverType: string; readonly ha: boolean };
  readonly workers: { readonly serverType: string; readonly count: number };
  /** The file it came from. */
  readonly file: string;
  /** Subdomain as given, or the first label of the FQDN. */
  readonly subdomain: string;
  /** Terraform stack name: the FQDN with dots replaced by dashes. */
  readonly stackName: string;
  /** Name of every Hetzner resource and the Sovereign label value (config/names.ts). */
  readonly names: SovereignNames;
  /**
   * The state's name in its backend (config/names.ts stateName): the local
   * state file's name in the project root, the S3 object key, or the
   * HCP Terraform / Terraform Enterprise workspace.
   */
  readonly stateName: string;
}

/** The Terraform variables that hold what must never be written in a Sovereign file. */
export const SECRET_VARIABLES = {
  hcloud: "TF_VAR_hcloud_token",
  hcloudCcm: "TF_VAR_hcloud_ccm_token",
  ghcr: "TF_VAR_ghcr_pull_token",
  bearer: "TF_VAR_kubeconfig_bearer_token",
} as const;

const SECRET_KEY = /token|passw|secret|bearer|api[-_]?key|access[-_]?key|private[-_]?key|credential/i;

/** Parses and validates one Sovereign file's text. Throws SovereignFileError. */
export function parseSovereign(text: string, file: string): Sovereign {
  let data: unknown;
  try {
    data = parseYamlSource(text, file);
  } catch (err) {
    if (err instanceof SourceProblem) throw new SovereignFileError([{ file, path: "", message: err.message }]);
    throw err;
  }
  if (data === null || data === undefined || typeof data !== "object" || Array.isArray(data)) {
    throw new SovereignFileError([{ file, path: "", message: "must be a YAML mapping of Sovereign fields (fqdn, org, location, ssh, …); see examples/example.yaml" }]);
  }

  const problems: SovereignFileProblem[] = [];
  const secretPaths = new Set<string>();
  scan(data, [], {
    secretKey(segments) {
      const p = formatPath(segments);
      secretPaths.add(p);
      problems.push({ file, path: p, message: `secrets never go in a Sovereign file (it lives in git); remove it and set ${secretVariableFor(segments, data)} when deploying` });
    },
    // cdktf encodes its unresolved values as ${TfToken[...]} inside strings; a
    // value that looks like one would be taken for one. No real value needs it.
    string(segments, value) {
      const p = formatPath(segments);
      if (/[$#&]\{TfToken\[/.test(value)) {
        problems.push({ file, path: p, message: "must not contain the text {TfToken[ (reserved by cdktf for its own placeholders)" });
      }
      // The key's type and base64 are not free text; its comment is.
      const token = tokenShape(p === "ssh.publicKey" ? value.trim().split(/\s+/).slice(2).join(" ") : value);
      if (token) {
        secretPaths.add(p);
        problems.push({ file, path: p, message: `holds what looks like ${token}; secrets never go in a Sovereign file (it lives in git): remove it, revoke that token, and pass secrets as TF_VAR_* variables when deploying` });
      }
    },
  });

  const result = sovereignFileSchema.safeParse(data);
  if (!result.success) {
    let raw: unknown;
    const rawText = () => (raw ??= yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA }));
    for (const issue of result.error.issues) {
      for (const problem of describeIssue(issue, data, rawText)) {
        if (!secretPaths.has(problem.path)) problems.push({ file, ...problem });
      }
    }
  }
  if (problems.length > 0) throw new SovereignFileError(problems);

  const value = result.data!;
  // Every FQDN the schema accepts yields valid names; this guards the rule, not the input.
  const names = sovereignNames(value.fqdn);
  const nameProblems = checkSovereignNames(names);
  if (nameProblems.length > 0) {
    throw new SovereignFileError(nameProblems.map((problem) => ({ file, path: "fqdn", message: `gives an invalid Hetzner name or label: ${problem}` })));
  }
  const state = stateName(value.fqdn, value.state);
  if ("message" in state) throw new SovereignFileError([{ file, path: state.path, message: state.message }]);
  // As for the names: every accepted input fits; this guards the rule.
  const stateProblem = checkStateName(state.name, value.state);
  if (stateProblem) throw new SovereignFileError([{ file, path: "state", message: `gives an invalid state location: ${stateProblem}` }]);
  return {
    ...value,
    // Defaults that depend on the location (cx and cax exist only in the EU).
    controlPlane: { ...value.controlPlane, serverType: value.controlPlane.serverType ?? defaultServerType(value.location, "controlPlane") },
    workers: { ...value.workers, serverType: value.workers.serverType ?? defaultServerType(value.location, "workers") },
    file,
    subdomain: value.subdomain ?? value.fqdn.split(".")[0],
    stackName: stackName(value.fqdn),
    names,
    stateName: state.name,
  };
}

/** Lists the Sovereign files (*.yaml, *.yml) of a directory, sorted. */
export function listSovereignFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    throw new SovereignFileError([{ file: dir, path: "", message: "cannot read the Sovereigns directory (set SOVEREIGNS_DIR to a directory of *.yaml files)" }]);
  }
  return entries.filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => path.join(dir, name));
}

/** Reads one Sovereign file's text: size-bounded, UTF-8 only. Throws SovereignFileError. */
export function readSovereignFile(file: string): string {
  try {
    checkSourceSize(fs.statSync(file).size);
    return decodeSource(fs.readFileSync(file));
  } catch (err) {
    if (err instanceof SourceProblem) throw new SovereignFileError([{ file, path: "", message: err.message }]);
    throw err;
  }
}

/** Reads and validates one Sovereign file. Throws SovereignFileError. */
export function loadSovereignFile(file: string): Sovereign {
  return parseSovereign(readSovereignFile(file), file);
}

/** The stem SOVEREIGN matches: the file name without .yaml or .yml. */
export function fileStem(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, "");
}

/** Sovereigns and what is worth saying about them without stopping the run. */
export interface LoadedSovereigns {
  readonly sovereigns: Sovereign[];
  /** Printed, never fatal: a world-open API, one SSH key in two Sovereigns. */
  readonly warnings: SovereignFileProblem[];
}

/**
 * Loads Sovereign files; with `only`, just the one whose file stem or stack
 * name equals it, and only that file is validated (a broken unrelated file
 * does not stop it, whichever way it is named). Without `only`, every
 * problem of every file is reported together, and no Sovereign is returned
 * unless all are valid and their stack names unique.
 */
export function loadSovereignSet(dir: string, only?: string): LoadedSovereigns {
  const files = listSovereignFiles(dir);
  if (files.length === 0) {
    throw new SovereignFileError([{ file: dir, path: "", message: "holds no Sovereign files (*.yaml); copy examples/example.yaml there to start one" }]);
  }
  const selected = only ? selectFiles(dir, files, only) : files;

  const problems: SovereignFileProblem[] = [];
  const sovereigns: Sovereign[] = [];
  for (const file of selected) {
    try {
      sovereigns.push(loadSovereignFile(file));
    } catch (err) {
      if (err instanceof SovereignFileError) problems.push(...err.problems);
      else throw err;
    }
  }

  const byStack = groupBy(sovereigns, (s) => s.stackName);
  for (const [stack, same] of byStack) {
    if (same.length < 2) continue;
    // Nobody can tell which file is the newcomer: name every one of them.
    for (const s of same) {
      const others = same.filter((o) => o !== s).map((o) => o.file);
      problems.push({ file: s.file, path: "fqdn", message: `${s.fqdn} is also the fqdn of ${fewOf(others)}; both would be stack ${stack}, and every Sovereign needs its own FQDN: change it in the file that is not meant to be ${s.fqdn}` });
    }
  }
  // Two Sovereigns must never share a state: prefixes can make different
  // stack names meet (workspacePrefix x- with a.b.c, x-a- with b.c).
  const stateOwners = new Map<string, string>();
  for (const s of sovereigns) {
    if ((byStack.get(s.stackName) ?? []).length > 1) continue;
    const where = stateLocation(s);
    const other = stateOwners.get(where);
    if (other) problems.push({ file: s.file, path: "state", message: `keeps its state at ${where}, where ${other} keeps its own; give it another prefix` });
    else stateOwners.set(where, s.file);
  }
  if (problems.length > 0) throw new SovereignFileError(problems);
  return { sovereigns, warnings: sovereignWarnings(sovereigns) };
}

/** {@link loadSovereignSet} without the warnings. */
export function loadSovereigns(dir: string, only?: string): Sovereign[] {
  return loadSovereignSet(dir, only).sovereigns;
}

/**
 * The files of `files` that `name` names, as SOVEREIGN selects: by file stem
 * without reading anything, else by stack name, read leniently (a file that
 * cannot be parsed, or has no string fqdn, cannot be the one meant and is
 * passed over). Empty when none is named so.
 */
export function filesNamed(files: readonly string[], name: string): string[] {
  const byStem = files.filter((f) => fileStem(f) === name);
  return byStem.length > 0 ? byStem : files.filter((f) => stackNameOf(f) === name);
}

/** {@link filesNamed}, or a SovereignFileError listing the known names. */
function selectFiles(dir: string, files: string[], only: string): string[] {
  const selected = filesNamed(files, only);
  if (selected.length > 0) return selected;
  const stacks = files.map(stackNameOf);
  const unreadable = stacks.filter((stack) => stack === undefined).length;
  const known = files.map((file, i) => (stacks[i] ? `${fileStem(file)} (${stacks[i]})` : fileStem(file)));
  const note = unreadable > 0 ? `; ${unreadable} file(s) could not be read, so their stack names are unknown (run without SOVEREIGN to see why)` : "";
  throw new SovereignFileError([
    { file: dir, path: "", message: `has no Sovereign named ${quoteValue(only)} (SOVEREIGN selects by file name without .yaml or by stack name); known: ${known.join(", ")}${note}` },
  ]);
}

function stackNameOf(file: string): string | undefined {
  try {
    const data = parseYamlSource(readSovereignFile(file), file) as { fqdn?: unknown } | null;
    return typeof data?.fqdn === "string" ? stackName(data.fqdn) : undefined;
  } catch (err) {
    if (err instanceof SourceProblem || err instanceof SovereignFileError) return undefined;
    throw err;
  }
}

/** Up to three names, then how many more: a message stays one line however many files share a value. */
function fewOf(names: readonly string[]): string {
  return names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
}

/** Sources that mean "anyone on the internet". */
const WORLD = new Set(["0.0.0.0/0", "::/0"]);

/** What is allowed but probably not meant; printed as warnings, never fatal. */
export function sovereignWarnings(sovereigns: readonly Sovereign[]): SovereignFileProblem[] {
  const warnings: SovereignFileProblem[] = [];
  for (const s of sovereigns) {
    s.firewall.apiAllowedCidrs.forEach((cidr, i) => {
      if (WORLD.has(cidr)) {
        warnings.push({
          file: s.file,
          path: `firewall.apiAllowedCidrs[${i}]`,
          message: `${cidr} opens the Kubernetes API (tcp 6443) of every server to the whole internet; list your own networks instead, or remove it (the API stays reachable through the load balancer)`,
        });
      }
    });
  }
  // Hetzner refuses a second SSH key with the same fingerprint in one project.
  for (const same of groupBy(sovereigns, (s) => s.ssh.publicKey.trim().split(/\s+/).slice(0, 2).join(" ")).values()) {
    if (same.length < 2) continue;
    for (const s of same) {
      warnings.push({
        file: s.file,
        path: "ssh.publicKey",
        message: `is the same key as in ${fewOf(same.filter((o) => o !== s).map((o) => o.file))}; Hetzner refuses a second key with one fingerprint in a project, so deploy these Sovereigns to different Hetzner projects or give each its own key`,
      });
    }
  }
  return warnings;
}

/** The backend, the place in it and the state's name, as one string. */
function stateLocation(s: Sovereign): string {
  const state = s.state;
  switch (state.backend) {
    case "local":
      return `local file ${s.stateName}`;
    case "s3":
      return `s3 ${state.endpoint} bucket ${state.bucket} key ${s.stateName}`;
    case "remote":
      return `remote ${state.hostname} organization ${state.organization} workspace ${s.stateName}`;
  }
}

type Segments = (string | number)[];

/** One walk over the parsed file: token-like keys the format does not define, and every string. */
function scan(node: unknown, segments: Segments, report: { secretKey(segments: Segments): void; string(segments: Segments, value: string): void }): void {
  if (typeof node === "string") report.string(segments, node);
  else if (Array.isArray(node)) node.forEach((item, i) => scan(item, [...segments, i], report));
  else if (node && typeof node === "object") {
    // Keys the format defines (registry.pullSecret) are never secrets.
    const known = allowedKeysAt(segments, node as Record<string, unknown>);
    for (const [key, value] of Object.entries(node)) {
      if (SECRET_KEY.test(key) && !known.includes(key)) report.secretKey([...segments, key]);
      else scan(value, [...segments, key], report);
    }
  }
}

function secretVariableFor(segments: Segments, data: unknown): string {
  const fieldPath = formatPath(segments);
  if (segments[0] === "state") {
    const state = (data as { state?: { backend?: unknown; hostname?: unknown } }).state ?? {};
    const key = String(segments[segments.length - 1]);
    if (/access[-_]?key|key[-_]?id/i.test(key)) return "AWS_ACCESS_KEY_ID (S3 state credentials)";
    if (/secret/i.test(key)) return "AWS_SECRET_ACCESS_KEY (S3 state credentials)";
    if (state.backend === "s3") return "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (S3 state credentials)";
    const host = typeof state.hostname === "string" ? state.hostname : "app.terraform.io";
    return `TF_TOKEN_${host.replace(/[.-]/g, "_")} (the HCP Terraform token; or run terraform login)`;
  }
  if (/ccm|cloudController/i.test(fieldPath)) return SECRET_VARIABLES.hcloudCcm;
  if (/hcloud|hetzner/i.test(fieldPath)) return SECRET_VARIABLES.hcloud;
  if (/ghcr|registry|pull/i.test(fieldPath)) return SECRET_VARIABLES.ghcr;
  if (/bearer|kubeconfig|postback/i.test(fieldPath)) return SECRET_VARIABLES.bearer;
  return `the matching variable (${Object.values(SECRET_VARIABLES).join(", ")}; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or TF_TOKEN_app_terraform_io for state)`;
}

/**
 * What a token-shaped string looks like, or undefined: GitHub and GitLab
 * token prefixes, and Hetzner's API tokens (64 letters and digits, mixed
 * case, which tells them apart from a lowercase hex SHA-256).
 */
export function tokenShape(value: string): string | undefined {
  if (/\bgh[pousr]_[A-Za-z0-9]{30,}/.test(value)) return "a GitHub token (ghp_…)";
  if (/\bgithub_pat_[A-Za-z0-9_]{30,}/.test(value)) return "a GitHub fine-grained token (github_pat_…)";
  if (/\bglpat-[A-Za-z0-9_-]{20,}/.test(value)) return "a GitLab token (glpat-…)";
  for (const run of value.match(/(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])/g) ?? []) {
    if (/[a-z]/.test(run) && /[A-Z]/.test(run)) return "a Hetzner Cloud API token (64 letters and digits)";
  }
  return undefined;
}

/** `workers.count`, `ssh.allowedCidrs[1]`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  return segments
    .map((segment, i) => (typeof segment === "number" ? `[${segment}]` : i === 0 ? String(segment) : `.${String(segment)}`))
    .join("");
}

function valueAt(data: unknown, segments: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let node: unknown = data;
  for (const segment of segments) {
    if (node === null || typeof node !== "object" || !(segment in (node as object))) return { found: false };
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return { found: true, value: node };
}

function shown(value: unknown): string {
  const text = quoteValue(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number" && !Number.isFinite(value)) return `number ${value}`;
  return `${typeof value} ${shown(value)}`;
}

/** zod's own wording ("Invalid input: expected …") replaced by what the field takes. */
function expectedText(expected: string | undefined, allowedKeys: string[]): string {
  switch (expected) {
    case "object":
      return allowedKeys.length > 0 ? `must be a mapping of its fields (${allowedKeys.join(", ")})` : "must be a mapping";
    case "string":
      return "must be text";
    case "boolean":
      return "must be true or false";
    case "array":
      return "must be a list";
    case "number":
    case "int":
      return "must be a number";
    default:
      return `must be ${expected ?? "something else"}`;
  }
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown, rawData: () => unknown): { path: string; message: string }[] {
  const at = valueAt(data, issue.path);
  if (issue.code === "unrecognized_keys") {
    const parent = valueAt(data, issue.path).value as Record<string, unknown>;
    const allowed = allowedKeysAt(issue.path, parent);
    return issue.keys.map((key) => {
      const hint = closest(key, allowed);
      return {
        path: formatPath([...issue.path, key]),
        message: `is not a known field${hint ? ` (did you mean ${hint}?)` : ""}; allowed here: ${allowed.join(", ")}`,
      };
    });
  }
  if (!at.found || at.value === undefined) {
    return [{ path: formatPath(issue.path), message: "is required" }];
  }
  if (issue.code === "invalid_type") {
    const fieldPath = formatPath(issue.path);
    const allowedKeys = issue.expected === "object" ? allowedKeysAt(issue.path, {}) : [];
    const wanted = issue.message.startsWith("Invalid input") ? expectedText(issue.expected, allowedKeys) : issue.message;
    if (at.value === null && issue.expected === "object") {
      return [{ path: fieldPath, message: `is empty; ${wanted.replace(/^must be/, "it must be")}, or remove the ${String(issue.path[issue.path.length - 1])}: line to leave it out` }];
    }
    // Unquoted digits, or true/false, are a number or a boolean to YAML.
    const raw = valueAt(rawData(), issue.path).value;
    if (issue.expected === "string" && (typeof at.value === "number" || typeof at.value === "boolean") && typeof raw === "string") {
      return [{ path: fieldPath, message: `${wanted}; YAML reads ${raw} unquoted as the ${typeName(at.value)}: put it in quotes, like ${String(issue.path[issue.path.length - 1])}: ${quoteValue(raw)}` }];
    }
    return [{ path: fieldPath, message: `${wanted} (got ${typeName(at.value)})` }];
  }
  return [{ path: formatPath(issue.path), message: issue.message.includes("(got ") ? issue.message : `${issue.message} (got ${shown(at.value)})` }];
}

function allowedKeysAt(segments: readonly PropertyKey[], parent: Record<string, unknown>): string[] {
  // Walk the schema's shape alongside the path to list the keys allowed there.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let schema: any = sovereignFileSchema;
  for (const segment of segments) {
    schema = unwrap(schema);
    if (schema?.def?.type === "union" || schema?.def?.type === "discriminatedUnion" || Array.isArray(schema?.def?.options)) {
      schema = pickUnionMember(schema, parent);
    }
    schema = schema?.shape?.[segment as string] ?? schema?.def?.element;
  }
  schema = unwrap(schema);
  if (Array.isArray(schema?.def?.options)) schema = pickUnionMember(schema, parent);
  return schema?.shape ? Object.keys(schema.shape).filter((k) => k !== "$schema") : [];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function unwrap(schema: any): any {
  let s = schema;
  while (s?.def?.innerType) s = s.def.innerType;
  return s;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function pickUnionMember(schema: any, parent: Record<string, unknown>): any {
  const options = schema.def.options as { shape?: Record<string, { def?: { values?: unknown[] } }> }[];
  return options.find((o) => o.shape?.backend?.def?.values?.includes(parent?.backend)) ?? options[0];
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** `items` grouped by `key`, in first-seen order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
