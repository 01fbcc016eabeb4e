/** Running programs without blocking the event loop (the apt proxy lives in this process). */
import { spawn, SpawnOptions } from "child_process";

/** What a finished program left. */
export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link exec}. */
export interface ExecOptions {
  /** Text written to the program's stdin. @default nothing (stdin closed) */
  readonly input?: string;
  /** Extra environment. @default the rehearsal's environment */
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the program after this many seconds. @default no limit */
  readonly timeoutSec?: number;
  readonly cwd?: string;
}

/** Runs argv and collects its output; never throws for a non-zero exit. */
export function exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] };
    const child = spawn(argv[0], argv.slice(1), spawnOptions);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    const timer = options.timeoutSec ? setTimeout(() => child.kill("SIGKILL"), options.timeoutSec * 1000) : undefined;
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot run ${argv[0]}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
    child.stdin!.on("error", () => undefined);
    child.stdin!.end(options.input ?? "");
  });
}

/** Runs argv; throws with its output when it fails. */
export async function must(argv: readonly string[], options: ExecOptions = {}): Promise<string> {
  const r = await exec(argv, options);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.code}):\n${(r.stderr || r.stdout).trim().split("\n").slice(-20).join("\n")}`);
  return r.stdout;
}

