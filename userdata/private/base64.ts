import { Fn, Token } from "cdktf";

/** base64 of a value: Terraform's base64encode when it exists only at apply (a token), computed here otherwise. */
export function base64(value: string): string {
  return Token.isUnresolved(value) ? Fn.base64encode(value) : Buffer.from(value, "utf8").toString("base64");
}
