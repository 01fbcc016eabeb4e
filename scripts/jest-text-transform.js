// Jest transform that imports a shell script as its text, as esbuild's
// `text` loader does for the app bundle (scripts/build.js). It reads the
// file itself: jest blanks a leading `#!` line in the source it hands over.
const fs = require("fs");

module.exports = {
  process(_sourceText, sourcePath) {
    return { code: `module.exports = ${JSON.stringify(fs.readFileSync(sourcePath, "utf8"))};` };
  },
  getCacheKey(_sourceText, sourcePath) {
    return require("crypto").createHash("sha256").update(fs.readFileSync(sourcePath)).update(sourcePath).digest("hex");
  },
};
