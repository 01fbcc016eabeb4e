// Jest transform that imports a shell script as its text, as esbuild's
// `text` loader does for the app bundle (scripts/build.js).
module.exports = {
  process(sourceText) {
    return { code: `module.exports = ${JSON.stringify(sourceText)};` };
  },
};
