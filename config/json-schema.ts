/**
 * The JSON Schema of the Sovereign file for editors (yaml-language-server),
 * generated from the same zod schema the validator runs.
 */
import * as z from "zod";
import { sovereignFileSchema } from "./sovereign-schema";

/** File name of the committed schema, next to package.json. */
export const JSON_SCHEMA_FILE = "sovereign.schema.json";

/** The JSON Schema (draft 2020-12) of a Sovereign file as written. */
export function sovereignJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(sovereignFileSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { ...schema, $id: "https://github.com/openova-io/sovereign-cdktf/sovereign.schema.json", title: "Sovereign file" };
}

/** The schema as the committed file holds it. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(sovereignJsonSchema(), null, 2)}\n`;
}
