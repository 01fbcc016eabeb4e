/**
 * Evaluates every server's user_data of synthesised stacks with the real
 * `terraform` binary, exactly as `terraform apply` would, without any
 * provider: the stack's variables (with their validation), its locals and
 * each user_data become a configuration of variables, locals and outputs;
 * the resource attributes they reference (load balancer IP, cluster token)
 * are replaced by realistic stand-ins. The result is the byte-exact
 * cloud-init each server would receive.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Stand-ins for the resource attributes user data references, by `<type>.<attribute>`. */
export const STAND_INS: Readonly<Record<string, string>> = {
  "hcloud_load_balancer.ipv4": "203.0.113.10",
  "hcloud_network.id": "4711",
  "random_password.result": "Kx7Qm2Vb9Rt4Lp8Wz3Nc6Hd1Fg5Sj0Ya7Ue2Io9Pk4Mb8Tn3Cv6Xq1Rz5Gw0Lh2Dd",
  // A resource-specific stand-in wins over its type's (`<type>.<name>.<attribute>`).
  "random_password.AgentToken.result": "Ag3ntT0kenAg3ntT0kenAg3ntT0kenAg3ntT0kenAg3ntT0kenAg3ntT0kenAg3n",
};

/** Values of the stack's variables for an evaluation (never real secrets in tests). */
export type VariableValues = Readonly<Record<string, string>>;

/** A synthesised stack: its name and its cdk.tf.json. */
export interface SynthesisedStack {
  readonly name: string;
  readonly json: any;
}

/** One server's evaluated user data. */
export interface EvaluatedServer {
  readonly stack: string;
  /** The server's `name` (catalyst-…-cp-1). */
  readonly server: string;
  readonly userData: string;
}

/** Terraform refused the configuration (a variable validation, a bad reference): its message. */
export class EvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EvaluationError";
  }
}

const REFERENCE = /\b(hcloud_[a-z_]+|random_[a-z_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\b/g;

/** Rewrites resource references inside `${…}` interpolations to stand-in locals. */
function rewriteReferences(text: string, prefix: string, standIns: Map<string, string>): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("${", i);
    if (start < 0) {
      out += text.slice(i);
      break;
    }
    // `$${` is an escaped literal: copy it and move on.
    if (start > 0 && text[start - 1] === "$") {
      out += text.slice(i, start + 2);
      i = start + 2;
      continue;
    }
    let depth = 0;
    let end = start + 1;
    for (; end < text.length; end++) {
      if (text[end] === "{") depth++;
      else if (text[end] === "}" && --depth === 0) break;
    }
    const expression = text.slice(start, end + 1).replace(REFERENCE, (_m, type: string, name: string, attribute: string) => {
      const specific = STAND_INS[`${type}.${name}.${attribute}`];
      const value = specific ?? STAND_INS[`${type}.${attribute}`];
      if (value === undefined) throw new EvaluationError(`user data references ${type}.*.${attribute}, which has no stand-in; add one to STAND_INS`);
      const local = `${prefix}standin_${type}_${specific === undefined ? "" : `${name}_`}${attribute}`;
      standIns.set(local, value);
      return `local.${local}`;
    });
    out += text.slice(i, start) + expression;
    i = end + 1;
  }
  return out;
}

/** The offline Terraform configuration that evaluates the stacks' user data. */
export function evaluationConfig(stacks: readonly SynthesisedStack[]): {
  config: any;
  servers: { stack: string; server: string; output: string }[];
  sshKeys: { stack: string; output: string }[];
} {
  const locals: Record<string, string> = {};
  const outputs: Record<string, unknown> = {};
  const variables: Record<string, unknown> = {};
  const servers: { stack: string; server: string; output: string }[] = [];
  const sshKeys: { stack: string; output: string }[] = [];
  stacks.forEach((stack, s) => {
    const prefix = `s${s}_`;
    const standIns = new Map<string, string>();
    // Locals and variables are per stack; prefix them so several stacks share one run.
    const renameLocals = (text: string) => text.replace(/\blocal\.([A-Za-z0-9_-]+)/g, (_m, name: string) => `local.${prefix}${name}`);
    for (const [name, value] of Object.entries(stack.json.locals ?? {})) {
      locals[`${prefix}${name}`] = rewriteReferences(renameLocals(String(value)), prefix, standIns);
    }
    for (const [name, definition] of Object.entries(stack.json.variable ?? {})) {
      if (s === 0) variables[name] = definition;
      else if (JSON.stringify(variables[name]) !== JSON.stringify(definition)) {
        // Variables are shared across stacks; differing validations need separate runs.
        throw new EvaluationError(`stack ${stack.name} defines variable ${name} differently; evaluate it on its own`);
      }
    }
    for (const resource of Object.values<any>(stack.json.resource?.hcloud_server ?? {})) {
      const output = `${prefix}${resource.name}`.replace(/[^A-Za-z0-9_-]/g, "_");
      outputs[output] = { value: rewriteReferences(renameLocals(resource.user_data), prefix, standIns), sensitive: true };
      servers.push({ stack: stack.name, server: resource.name, output });
    }
    // The operator's key carries a free-text comment: evaluate it too.
    for (const [name, resource] of Object.entries<any>(stack.json.resource?.hcloud_ssh_key ?? {})) {
      const output = `${prefix}ssh_key_${name}`;
      outputs[output] = { value: rewriteReferences(resource.public_key, prefix, standIns) };
      sshKeys.push({ stack: stack.name, output });
    }
    for (const [local, value] of standIns) locals[local] = value;
  });
  return { config: { variable: variables, locals, output: outputs }, servers, sshKeys };
}

/** Most of Terraform's failure output an EvaluationError keeps. */
export const MAX_ERROR_CHARS = 8 * 1024;

/**
 * Terraform's failure output, cut to {@link MAX_ERROR_CHARS}: it quotes the
 * offending expression in every error, and a user_data expression is the
 * whole document, so a broken escape once made 360 errors of about 180 MB,
 * and the test runner ran out of memory holding them instead of failing.
 */
export function capTerraformOutput(text: string): string {
  if (text.length <= MAX_ERROR_CHARS) return text;
  const errors = (text.match(/^(│ )?Error: /gm) ?? []).length;
  // Each quoted source line is cut first, so several errors fit in what is kept.
  const lines = text.split("\n").map((line) => (line.length > 300 ? `${line.slice(0, 300)}[... ${line.length - 300} characters]` : line));
  const kept = lines.join("\n").slice(0, MAX_ERROR_CHARS);
  return `${kept}\n[... Terraform's output of ${text.length} characters cut to ${kept.length}; ${errors} error(s) in all]`;
}

/** Runs terraform; throws EvaluationError with (the start of) its message on failure. */
function terraform(dir: string, args: string[], env: NodeJS.ProcessEnv): string {
  const result = spawnSync("terraform", args, { cwd: dir, env, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (result.error) throw new EvaluationError(`cannot run terraform: ${result.error.message}`);
  if (result.status !== 0) throw new EvaluationError(`terraform ${args[0]} failed:\n${capTerraformOutput(result.stderr || result.stdout)}`);
  return result.stdout;
}

/**
 * Evaluates the user data of every server of the given stacks in one
 * Terraform run. Variable values travel in TF_VAR_* environment variables,
 * never on a command line.
 */
export function evaluateUserData(stacks: readonly SynthesisedStack[], values: VariableValues): EvaluatedServer[] {
  return evaluateStacks(stacks, values).servers;
}

/** Servers' user data and each stack's SSH public key, as Terraform evaluates them. */
export function evaluateStacks(stacks: readonly SynthesisedStack[], values: VariableValues): { servers: EvaluatedServer[]; sshKeys: Map<string, string> } {
  const { config, servers, sshKeys } = evaluationConfig(stacks);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "evaluate-user-data-"));
  try {
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config));
    const rc = path.join(dir, "terraformrc");
    fs.writeFileSync(rc, "");
    const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: rc, TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
    for (const [name, value] of Object.entries(values)) env[`TF_VAR_${name}`] = value;
    terraform(dir, ["init", "-no-color", "-input=false"], env);
    terraform(dir, ["apply", "-no-color", "-input=false", "-auto-approve", "-lock=false"], env);
    const outputs = JSON.parse(terraform(dir, ["output", "-no-color", "-json"], env));
    return {
      servers: servers.map((s) => ({ stack: s.stack, server: s.server, userData: outputs[s.output].value as string })),
      sshKeys: new Map(sshKeys.map((k) => [k.stack, outputs[k.output].value as string])),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a synthesised stack from a cdktf output directory. */
export function readSynthesisedStack(outdir: string, name: string): SynthesisedStack {
  const file = path.join(outdir, "stacks", name, "cdk.tf.json");
  if (!fs.existsSync(file)) throw new EvaluationError(`no synthesised stack ${name} in ${outdir} (run npm run synth first)`);
  return { name, json: JSON.parse(fs.readFileSync(file, "utf8")) };
}
