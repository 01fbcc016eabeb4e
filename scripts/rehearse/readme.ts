/**
 * Operator procedures read from README.md at run time, so the rehearsal runs
 * exactly what an operator is told to run.
 */

/**
 * The commands of the README paragraph that starts with `opening` (its
 * inline code spans starting with `sudo`, and the lines of a shell block
 * right after it, comments dropped).
 */
export function readmeCommands(readme: string, opening: string): string[] {
  const start = readme.search(new RegExp(`^${opening.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m"));
  if (start < 0) throw new Error(`README.md has no paragraph starting '${opening}'`);
  const rest = readme.slice(start);
  const paragraph = rest.split(/\n\s*\n/)[0];
  const commands = [...paragraph.matchAll(/`([^`]+)`/g)].map((m) => m[1]).filter((c) => /^sudo\s/.test(c));
  const after = rest.slice(paragraph.length);
  const block = /^\s*```(?:sh|bash|console)?\n([\s\S]*?)```/.exec(after);
  if (block) {
    for (const line of block[1].split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command && !command.startsWith("#")) commands.push(command);
    }
  }
  if (commands.length === 0) throw new Error(`README.md's paragraph '${opening}' names no command`);
  return commands;
}

/** The resume procedure ("To resume …"), `<step>` replaced by the failed step. */
export function resumeCommands(readme: string, step: string): string[] {
  return readmeCommands(readme, "To resume").map((c) => c.replace(/<step>/g, step));
}

/** Re-sending the kubeconfig by hand ("To re-send the kubeconfig …"). */
export function resendCommands(readme: string): string[] {
  return readmeCommands(readme, "To re-send the kubeconfig");
}
