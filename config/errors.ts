/**
 * The named error kinds of this program. Tests compare kinds and fields,
 * not prose; the prose is for people.
 */

/** One problem in one Sovereign file: the field path as written and what is wrong. */
export interface SovereignFileProblem {
  /** File the problem is in, as given to the loader. */
  readonly file: string;
  /** Field path as the user writes it (`workers.count`, `ssh.allowedCidrs[1]`); empty for the whole file. */
  readonly path: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
}

/** Every problem of every rejected Sovereign file; thrown before any stack exists. */
export class SovereignFileError extends Error {
  constructor(public readonly problems: readonly SovereignFileProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "SovereignFileError";
  }
}

/** `file: path: message`, the one-line form users see. */
export function formatProblem(problem: SovereignFileProblem): string {
  return problem.path ? `${problem.file}: ${problem.path}: ${problem.message}` : `${problem.file}: ${problem.message}`;
}

/** A construct received props that break its invariants. */
export class ConstructPropError extends Error {
  constructor(
    /** Construct path (`omantel-omani-works/ControlPlane`). */
    public readonly constructPath: string,
    /** The prop at fault. */
    public readonly prop: string,
    /** What is wrong and what is allowed (includes the value received). */
    public readonly reason: string,
  ) {
    super(`${constructPath}: ${prop} ${reason}`);
    this.name = "ConstructPropError";
  }
}

/** Rendered user data would not fit Hetzner's 32 KiB limit. */
export class UserDataTooLargeError extends Error {
  constructor(
    public readonly server: string,
    public readonly bytes: number,
    public readonly limitBytes: number,
  ) {
    super(`${server}: user_data could reach ${bytes} bytes, over Hetzner's limit of ${limitBytes} bytes (32 KiB); drop optional steps or shorten values`);
    this.name = "UserDataTooLargeError";
  }
}
