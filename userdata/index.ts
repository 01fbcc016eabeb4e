export * from "./boot-input";
export * from "./cloud-config";
export * from "./node-cloud-config";
export * from "./paths";
export * from "./render";
export * from "./versions";
