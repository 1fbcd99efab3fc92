// Secret guard: credential-looking files are never bundled unless an `include` glob names them,
// even when .gitignore forgets them (a bundle is uploaded to a shared cluster). Two kinds of rules:
// by name (select.ts, before anything is read) and by content (archive/hash.ts, over the bytes it
// already reads to hash a file; the verdict is cached with the digest, so unchanged files cost nothing).
//
// Why our own small table rather than a rule set from npm: secretlint's rules need its engine's
// context API and decode every file to a string; gitleaks' config is ~200 Go regexes, many with
// entropy checks and false positives we would then have to allowlist. What a bundle must never carry
// is a short list (keys, cloud and VCS tokens); each rule below is tested in
// test/bundle/select/secrets.test.ts and listed in the README.
import { basename } from "node:path";
import ignore from "ignore";
import type { WarningEvent } from "../events.js";

/** Gitignore-syntax patterns, matched against a file's base name. */
export const SECRET_PATTERNS = [
  ".env*",
  "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.asc",
  "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
  "credentials.json", "credentials", "client_secret*.json", "service-account*.json", "service_account*.json",
  "*-key.json", "token.json", "secrets.json", "secrets.toml", "secrets.yaml", "secrets.yml",
  ".netrc", ".pypirc", ".npmrc", ".pgpass", ".htpasswd",
  ".git-credentials", ".boto", ".s3cfg", ".aws_credentials",
  "*.tfstate", "*.tfstate.backup",
];

/** Files whose name alone is too common (config.json, config): caught only inside these directories. */
export const SECRET_PATHS = [".docker/config.json", ".kube/config"];

const secretMatcher = ignore().add(SECRET_PATTERNS);

/** The name rule relPath (forward slashes) matches, or undefined. */
export function secretNameRule(relPath: string): string | undefined {
  for (const path of SECRET_PATHS) if (relPath === path || relPath.endsWith(`/${path}`)) return path;
  const name = basename(relPath);
  if (!secretMatcher.ignores(name)) return undefined;
  return SECRET_PATTERNS.find((pattern) => ignore().add(pattern).ignores(name)) ?? name;
}

export function looksLikeSecret(relPath: string): boolean {
  return secretNameRule(relPath) !== undefined;
}

export interface ContentRule {
  name: string;
  /** What the README says it catches. */
  what: string;
  /** Rare literals: the bytes are searched for these first (memchr-fast), the pattern runs only near a hit. */
  anchors: string[];
  /** Checked on the text around an anchor hit (latin1, so any bytes are fine). */
  pattern: RegExp;
}

const B64_LINE = String.raw`[ \t]*[A-Za-z0-9+/=]{40,}`;
/** A newline, or the two characters \n of a key pasted into a string literal. */
const NL = String.raw`(?:\r?\n|(?:\\r)?\\n)`;

/**
 * The content rules. The private-key rule wants the shape of a real block, not just its header: the
 * header, optional "Key: value" headers (encrypted PEM, PGP), then a base64 line of 40+ characters.
 * So a docstring that mentions "-----BEGIN PRIVATE KEY-----", or a test's "...", is left alone.
 * The first rule that matches names the finding, so the more specific JSON rule comes first.
 */
export const CONTENT_RULES: readonly ContentRule[] = [
  {
    name: "private-key-json",
    what: 'a JSON "private_key" holding a PEM key (Google service-account files)',
    anchors: ['"private_key"'],
    pattern: /"private_key"\s*:\s*"-----BEGIN/,
  },
  {
    name: "private-key",
    what: "a PEM/OpenSSH/PGP private-key block (-----BEGIN [RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP] PRIVATE KEY[ BLOCK]----- followed by base64 lines)",
    anchors: ["PRIVATE KEY"],
    pattern: new RegExp(String.raw`-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----${NL}(?:[A-Za-z-]+: [^\r\n\\]*${NL})*(?:[ \t]*${NL})?${B64_LINE}`),
  },
  {
    name: "aws-access-key-id",
    what: "an AWS access key id (AKIA or ASIA + 16 upper-case letters or digits; AWS's documented …EXAMPLE ids excepted)",
    anchors: ["AKIA", "ASIA"],
    pattern: /(?<![A-Za-z0-9])A(?:KI|SI)A(?![A-Z0-9]{9}EXAMPLE(?![A-Za-z0-9]))[A-Z0-9]{16}(?![A-Za-z0-9])/,
  },
  {
    name: "github-token",
    what: "a GitHub token (ghp_, gho_, ghu_, ghs_, ghr_ + 36 characters; github_pat_ + 40 or more)",
    anchors: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    pattern: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9])|github_pat_[A-Za-z0-9_]{40,})/,
  },
  {
    name: "slack-token",
    what: "a Slack token (xoxa-, xoxb-, xoxp-, xoxr-, xoxs- + a numeric id and more)",
    anchors: ["xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"],
    pattern: /(?<![A-Za-z0-9])xox[abprs]-[0-9]{8,}-[A-Za-z0-9-]{8,}/,
  },
  {
    name: "google-api-key",
    what: "a Google API key (AIza + 35 characters)",
    anchors: ["AIza"],
    pattern: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/,
  },
  {
    name: "stripe-live-key",
    what: "a Stripe live secret or restricted key (sk_live_ or rk_live_ + 20 or more characters)",
    anchors: ["k_live_"],
    pattern: /(?<![A-Za-z0-9])[sr]k_live_[0-9A-Za-z]{20,}/,
  },
];

/** Bytes of context on each side of an anchor hit: a key block's header plus its first lines fit with room to spare. */
const WINDOW = 1024;

const ANCHORS = CONTENT_RULES.flatMap((rule) => rule.anchors.map((anchor) => ({ rule, anchor: Buffer.from(anchor, "latin1") })));

export interface SecretHit {
  rule: string;
}

/**
 * The first content rule `bytes` matches. The whole file is scanned, not a prefix: a key appended to
 * the end of a module is as leaked as one at the top. Cheap because it is one Buffer.indexOf per
 * anchor (~1.2 ms per MiB for all of them, measured on Python source), and callers scan only bytes
 * they read anyway (hashing), so unchanged files are never read for it.
 */
export function scanForSecrets(bytes: Uint8Array): SecretHit | undefined {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const { rule, anchor } of ANCHORS) {
    for (let at = buf.indexOf(anchor); at >= 0; at = buf.indexOf(anchor, at + 1)) {
      const text = buf.toString("latin1", Math.max(0, at - WINDOW), Math.min(buf.length, at + WINDOW));
      if (rule.pattern.test(text)) return { rule: rule.name };
    }
  }
  return undefined;
}

/**
 * Scans a file read in chunks: each chunk on its own, plus the seam between it and the previous one
 * (a match split across two reads). Keeps only the last WINDOW*2 bytes of the previous chunk.
 */
export class ChunkedSecretScan {
  private tail: Buffer | undefined;
  hit: SecretHit | undefined;

  push(chunk: Buffer): void {
    if (this.hit) return;
    if (this.tail) {
      const head = chunk.subarray(0, WINDOW * 2);
      this.hit = scanForSecrets(Buffer.concat([this.tail, head]));
      if (this.hit) return;
    }
    this.hit = scanForSecrets(chunk);
    this.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - WINDOW * 2)));
  }
}

/** The one warning for a file the guard keeps out, by name or by content (`why`). */
export function secretSkipped(rel: string, why: string): WarningEvent {
  return {
    type: "warning",
    code: "secret-skipped",
    path: rel,
    message: `Not bundling ${rel}: it looks like a secret or credential (${why}). If it really belongs in the bundle, name it in the \`include\` option (e.g. include: ["${rel}"]).`,
  };
}
