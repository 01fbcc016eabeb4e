/**
 * The README's resume procedure, read from README.md at run time so the
 * rehearsal runs exactly what an operator is told to run.
 */

/**
 * The commands of the paragraph that starts "To resume" (its inline code
 * spans starting with `sudo`, and the lines of a shell block right after
 * it), with `<step>` replaced by the failed step.
 */
export function resumeCommands(readme: string, step: string): string[] {
  const start = readme.search(/^To resume\b/m);
  if (start < 0) throw new Error("README.md has no paragraph starting 'To resume'");
  const rest = readme.slice(start);
  const paragraph = rest.split(/\n\s*\n/)[0];
  const commands = [...paragraph.matchAll(/`([^`]+)`/g)].map((m) => m[1]).filter((c) => /^sudo\s/.test(c));
  const block = /^\s*```(?:sh|bash|console)?\n([\s\S]*?)```/.exec(rest.slice(paragraph.length).replace(/^\s*\n/, ""));
  if (block && rest.slice(paragraph.length).trimStart().startsWith("```")) {
    for (const line of block[1].split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command && !command.startsWith("#")) commands.push(command);
    }
  }
  if (commands.length === 0) throw new Error("README.md's resume paragraph names no command");
  return commands.map((c) => c.replace(/<step>/g, step));
}
