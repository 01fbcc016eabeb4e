// `npm run schema`: rewrites sovereign.schema.json and the field reference in
// README.md from config/sovereign-schema.ts.
import * as fs from "fs";
import { withFieldReference } from "../config/field-reference";
import { JSON_SCHEMA_FILE, renderJsonSchema } from "../config/json-schema";

fs.writeFileSync(JSON_SCHEMA_FILE, renderJsonSchema());
fs.writeFileSync("README.md", withFieldReference(fs.readFileSync("README.md", "utf8")));
console.log(`wrote ${JSON_SCHEMA_FILE} and the field reference in README.md`);
