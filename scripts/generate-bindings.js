#!/usr/bin/env node
// Generates the Hetzner Cloud provider bindings into .gen/providers/hcloud,
// offline, from the vendored schema in provider/. It drives cdktf's own
// generator (the ConstructsMaker behind `cdktf get`) through its provider
// schema cache, so the output is what `cdktf get` writes for the same schema.
//
// Runs on `npm install` / `npm ci` (postinstall) and on `npm run get`.
// Skips work when .gen already matches the schema and cdktf version
// (stamp file .gen/.schema-stamp); FORCE=1 regenerates.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const root = path.resolve(__dirname, "..");
// cdktf's helpers shell out to terraform; keep it quiet and offline.
process.env.CHECKPOINT_DISABLE = "1";
if (!process.env.TF_CLI_CONFIG_FILE || !fs.existsSync(process.env.TF_CLI_CONFIG_FILE)) process.env.TF_CLI_CONFIG_FILE = path.join(root, ".ci", "terraformrc");
const cdktfJson = JSON.parse(fs.readFileSync(path.join(root, "cdktf.json"), "utf8"));
const schemaFile = path.join(root, "provider", "hcloud-1.68.0.schema.json");
const providerVersion = "1.68.0";
const outdir = path.join(root, cdktfJson.codeMakerOutput || ".gen");
const stampFile = path.join(outdir, ".schema-stamp");

async function main() {
  const providers = (cdktfJson.terraformProviders || []).filter((p) => p.includes("hcloud"));
  if (providers.length !== 1) {
    throw new Error(`cdktf.json terraformProviders must name hetznercloud/hcloud exactly once, found ${JSON.stringify(providers)}`);
  }
  const raw = fs.readFileSync(schemaFile);
  const cdktfVersion = require("cdktf/package.json").version;
  const stamp = `${crypto.createHash("sha256").update(raw).digest("hex")} ${providers[0]} cdktf@${cdktfVersion}\n`;
  if (!process.env.FORCE && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp &&
      fs.existsSync(path.join(outdir, "providers", "hcloud", "index.ts"))) {
    console.log("hcloud bindings: up to date (.gen/providers/hcloud)");
    return;
  }

  const { ConstructsMaker } = require("@cdktf/provider-generator");
  const { TerraformProviderConstraint, ConstructsMakerProviderTarget, Language } = require("@cdktf/commons");
  const { sanitizeProviderSchema } = require("@cdktf/provider-schema/src/provider-schema");

  const constraint = new TerraformProviderConstraint(providers[0]);
  const target = ConstructsMakerProviderTarget.from(constraint, Language.TYPESCRIPT);

  // The cache holds what the generator would have read from
  // `terraform providers schema -json` plus `terraform version -json`.
  const schema = JSON.parse(raw.toString("utf8"));
  schema.provider_versions = { [`registry.terraform.io/${target.source}`]: providerVersion };
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "hcloud-schema-cache-"));
  try {
    const key = `${encodeURIComponent(target.fqn)}@${encodeURIComponent(target.version || "")}`;
    fs.writeFileSync(path.join(cacheDir, `${key}.json`), JSON.stringify(sanitizeProviderSchema(schema)));

    const started = Date.now();
    fs.rmSync(path.join(outdir, "providers", "hcloud"), { recursive: true, force: true });
    const maker = new ConstructsMaker({ codeMakerOutput: outdir, targetLanguage: Language.TYPESCRIPT }, cacheDir);
    await maker.generate([constraint]);
    fs.writeFileSync(stampFile, stamp);
    console.log(`hcloud bindings: generated .gen/providers/hcloud from provider/${path.basename(schemaFile)} in ${Date.now() - started} ms`);
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`hcloud bindings: generation failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
