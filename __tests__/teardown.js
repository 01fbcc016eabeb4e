// cdktf's Testing.app() leaves cdktf.outdir.* folders in the temp dir; remove them.
const fs = require("fs");
const os = require("os");
const path = require("path");

module.exports = async () => {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (name.startsWith("cdktf.outdir.")) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
};
