// Secret guard: credential-looking files are never bundled unless an `include` glob names them,
// even when .gitignore forgets them (a bundle is uploaded to a shared cluster).
import { basename } from "node:path";
import ignore from "ignore";

/** Gitignore-syntax patterns, matched against a file's base name. */
export const SECRET_PATTERNS = [
  ".env*",
  "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore",
  "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
  "credentials.json", "credentials", "client_secret*.json", "service-account*.json",
  ".netrc", ".pypirc", ".npmrc", ".pgpass", ".htpasswd",
];

const secretMatcher = ignore().add(SECRET_PATTERNS);

export function looksLikeSecret(relPath: string): boolean {
  return secretMatcher.ignores(basename(relPath));
}
