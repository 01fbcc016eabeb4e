// `npm run preview -- <stack or file name> [server]`: prints the exact cloud-init each
// server of a stack receives, as Terraform evaluates it at apply, with
// stand-ins for the load balancer IP, the cluster token and the secrets
// (never real ones: this is for reading, not for deploying).
import { EvaluationError, STAND_INS } from "./evaluate-user-data";
import { chooseServers, previewUserData } from "./preview-user-data";

export { PREVIEW_SECRETS } from "./preview-user-data";

function main(argv: string[]): number {
  const [name, server] = argv;
  if (!name || name.startsWith("-")) {
    process.stderr.write("usage: npm run preview -- <stack or file name> [server]\n");
    return 2;
  }
  try {
    // Selects as SOVEREIGN does: a file name without .yaml, or a stack name.
    const previewed = previewUserData(name, process.env.SOVEREIGNS_DIR);
    if (typeof previewed === "number") return previewed;
    const { stack, servers: evaluated } = previewed;
    const chosen = chooseServers(evaluated, server);
    if (chosen.length === 0) {
      process.stderr.write(`no server ${server} in ${stack}; servers: ${evaluated.map((e) => e.server).join(", ")}\n`);
      return 2;
    }
    process.stderr.write(`stand-ins: load balancer ${STAND_INS["hcloud_load_balancer.ipv4"]}, placeholder secrets\n`);
    for (const e of chosen) {
      if (chosen.length > 1) process.stdout.write(`# ===== ${e.server} (${Buffer.byteLength(e.userData)} bytes) =====\n`);
      process.stdout.write(e.userData.endsWith("\n") ? e.userData : `${e.userData}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof EvaluationError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = main(process.argv.slice(2));
