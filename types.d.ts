// Shell scripts are imported as their text (esbuild `text` loader in
// scripts/build.js; scripts/jest-text-transform.js under jest).
declare module "*.sh" {
  const text: string;
  export default text;
}
