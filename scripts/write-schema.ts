// `npm run schema`: rewrites sovereign.schema.json from config/sovereign-schema.ts.
import * as fs from "fs";
import { JSON_SCHEMA_FILE, renderJsonSchema } from "../config/json-schema";

fs.writeFileSync(JSON_SCHEMA_FILE, renderJsonSchema());
console.log(`wrote ${JSON_SCHEMA_FILE}`);
