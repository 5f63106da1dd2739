/** Offline tokens for licensed containers: key set (rotation slots), signing, JWKS, offline verification. */
export * from "./jwks-cache.js";
export * from "./keys.js";
export * from "./tokens.js";
