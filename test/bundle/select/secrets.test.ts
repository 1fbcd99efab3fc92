// The secret guard: name rules (select.ts skips them) and content rules (hashing scans the bytes it
// already reads). Real keys are generated at test time; token shapes are built from parts so this
// file itself never looks like a leaked credential to a scanner.
import { generateKeyPairSync } from "node:crypto";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { buildBundle } from "../../../src/bundle/archive/build.js";
import { type BundleEvent } from "../../../src/bundle/events.js";
import { ChunkedSecretScan, looksLikeSecret, scanForSecrets, secretNameRule } from "../../../src/bundle/select/secrets.js";
import { makeTree, tempDir } from "../helpers.js";

const pem = (type: "rsa" | "ec" | "ed25519", format: "pkcs8" | "pkcs1" | "sec1" = "pkcs8"): string => {
  const { privateKey } = generateKeyPairSync(type as "rsa", { modulusLength: 1024, namedCurve: "P-256" } as never) as unknown as { privateKey: import("node:crypto").KeyObject };
  return privateKey.export({ type: format as "pkcs8", format: "pem" }).toString();
};

const sshKey = (): string => {
  const dir = tempDir("sab-ssh-");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
  return execFileSync("cat", [join(dir, "k")], { encoding: "utf8" });
};

const hasSshKeygen = (() => {
  try {
    execFileSync("ssh-keygen", ["-?"], { stdio: "ignore" });
    return true;
  } catch (err) {
    return (err as { status?: number }).status !== undefined && (err as { code?: string }).code !== "ENOENT";
  }
})();

/** Token shapes, assembled so no literal token sits in this file. */
const TOKENS: Record<string, string> = {
  "aws-access-key-id": ["AK", "IA", "Q3EGRIC6TKFOY2MN"].join(""),
  "aws-access-key-id (session)": ["AS", "IA", "Z7W4PNLD2QJXH6RT"].join(""),
  "github-token": ["gh", "p_", "a".repeat(18), "B1".repeat(9)].join(""),
  "github-token (oauth)": ["gh", "o_", "Zz9".repeat(12)].join(""),
  "github-token (fine-grained)": ["github", "_pat_", "11ABCDEFG0", "x".repeat(72)].join(""),
  "slack-token": ["xo", "xb-", "1234567890123", "-", "4567890123456", "-", "AbCdEfGhIjKlMnOpQrStUvWx"].join(""),
  "google-api-key": ["AI", "za", "SyD-", "k".repeat(31)].join(""),
  "stripe-live-key": ["sk", "_live_", "4eC39HqLyjWDarjtT1zdp7dc"].join(""),
};

describe("name rules", () => {
  test("the credential and key files the issue lists are caught by name, wherever they sit", () => {
    const caught = [
      ".git-credentials", ".docker/config.json", "deploy/.docker/config.json", ".kube/config", "ops/.kube/config",
      ".boto", ".s3cfg", ".aws_credentials", "secrets.json", "secrets.toml", "service_account.json",
      "service-account.json", "service_account_prod.json", "gcp-key.json", "token.json", "terraform.tfstate",
      "prod.tfstate", "terraform.tfstate.backup", "signing.asc", "pkg/.env", "id_rsa",
    ];
    for (const path of caught) expect({ path, secret: looksLikeSecret(path) }).toEqual({ path, secret: true });
    expect(secretNameRule("a/.kube/config")).toBe(".kube/config");
  });

  test("ordinary source and config names are not", () => {
    const fine = ["app/config.json", "app/config.py", "app/token.py", "app/keys.py", "app/docker/config.json", "app/kube/config", "app/monkey.json", "app/secrets.py", "app/tokens.json"];
    for (const path of fine) expect({ path, secret: looksLikeSecret(path) }).toEqual({ path, secret: false });
  });
});

describe("content rules", () => {
  test("private-key blocks of every common kind are found, and named by rule", () => {
    const blocks = [pem("rsa"), pem("rsa", "pkcs1"), pem("ec", "sec1"), pem("ed25519"), ...(hasSshKeygen ? [sshKey()] : [])];
    for (const block of blocks) expect(scanForSecrets(Buffer.from(`# config\n${block}`))?.rule).toBe("private-key");
    const encrypted = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }).toString();
    expect(encrypted).toContain("BEGIN ENCRYPTED PRIVATE KEY");
    expect(scanForSecrets(Buffer.from(encrypted))?.rule).toBe("private-key");
    const legacyEncrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,4F1C2B8E0A3D5F6B7C8D9E0F1A2B3C4D\n\n" + `${"Qk".repeat(32)}\n`.repeat(3);
    expect(scanForSecrets(Buffer.from(legacyEncrypted))?.rule).toBe("private-key");
    const pgp = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: exported\n\n" + `${"lQVY".repeat(16)}\n`.repeat(4);
    expect(scanForSecrets(Buffer.from(pgp))?.rule).toBe("private-key");
    // As a Python string with escaped newlines (how keys get pasted into settings modules).
    const escaped = `KEY = "${pem("rsa").trim().replaceAll("\n", "\\n")}"\n`;
    expect(scanForSecrets(Buffer.from(escaped))?.rule).toBe("private-key");
  });

  test("well-known token shapes are found", () => {
    for (const [name, token] of Object.entries(TOKENS)) {
      const hit = scanForSecrets(Buffer.from(`import os\nKEY = "${token}"\nprint(KEY)\n`));
      expect({ name, rule: hit?.rule }).toEqual({ name, rule: name.replace(/ \(.*\)$/, "") });
    }
    const serviceAccount = JSON.stringify({ type: "service_account", private_key_id: "abc", private_key: pem("rsa") });
    expect(scanForSecrets(Buffer.from(serviceAccount))?.rule).toBe("private-key-json");
  });

  test("a key past the first 64 KiB is found, and one split between two reads", () => {
    const filler = "x = 1  # padding line of ordinary python source\n";
    const key = pem("rsa");
    expect(scanForSecrets(Buffer.from(filler.repeat(2000) + key))?.rule).toBe("private-key");
    const whole = Buffer.from(`${filler.repeat(100)}${key}`);
    const split = whole.indexOf("PRIVATE KEY") + 5; // the cut runs through the header itself
    const scan = new ChunkedSecretScan();
    scan.push(Buffer.from(whole.subarray(0, split)));
    expect(scan.hit).toBeUndefined();
    scan.push(Buffer.from(whole.subarray(split)));
    expect(scan.hit?.rule).toBe("private-key");
  });

  test("no false alarm on code that merely talks about keys and tokens", () => {
    const innocent = [
      '"""Load a key. The file must start with -----BEGIN PRIVATE KEY----- and end with -----END PRIVATE KEY-----."""\n',
      'PEM = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA...\\n-----END RSA PRIVATE KEY-----"\n',
      "def test_rejects_garbage():\n    assert not load('-----BEGIN PRIVATE KEY-----\\nnot a key\\n-----END PRIVATE KEY-----')\n",
      '# AWS documents AKIAIOSFODNN7EXAMPLE as its example key id\nKEY = "AKIAIOSFODNN7EXAMPLE"\n',
      "PREFIXES = ('ghp_', 'gho_', 'xoxb-', 'sk_live_', 'AIza')\nprivate_key = load()\nconfig = {'private_key': None}\n",
      "MAKIAVELLIAN_CONSTANT_NAMES_ARE_FINE = 1\n",
      "-----BEGIN PUBLIC KEY-----\n" + `${"MIIB".repeat(16)}\n`.repeat(3) + "-----END PUBLIC KEY-----\n",
      "-----BEGIN CERTIFICATE-----\n" + `${"MIIC".repeat(16)}\n`.repeat(3) + "-----END CERTIFICATE-----\n",
    ];
    for (const text of innocent) expect({ text, hit: scanForSecrets(Buffer.from(text)) }).toEqual({ text, hit: undefined });
  });
});

describe("the guard in a build", () => {
  async function build(root: string, include?: string[]) {
    const events: BundleEvent[] = [];
    const bundle = await buildBundle({ root, include, cacheDir: tempDir("sab-cache-"), onEvent: (e) => events.push(e) });
    const warnings = events.flatMap((e) => (e.type === "warning" ? [e] : []));
    return { zipPaths: bundle.hashedFiles.map((f) => f.zipPath), warnings, bundle };
  }

  test("files whose contents hold a key or token are skipped with a warning naming the file and the rule", async () => {
    const root = makeTree({
      "app/__init__.py": "",
      "app/settings.py": `AWS_KEY = "${TOKENS["aws-access-key-id"]}"\n`,
      "app/certs/server.crt": pem("rsa"),
      "app/data/readme.txt": "nothing here\n",
    });
    const { zipPaths, warnings } = await build(root);
    expect(zipPaths).toEqual(["app/__init__.py", "app/data/readme.txt"]);
    const byPath = Object.fromEntries(warnings.map((w) => [w.path, w]));
    expect(byPath["app/settings.py"]?.code).toBe("secret-skipped");
    expect(byPath["app/settings.py"]?.message).toMatch(/app\/settings\.py.*aws-access-key-id.*include/);
    expect(byPath["app/certs/server.crt"]?.message).toMatch(/app\/certs\/server\.crt.*private-key/);
  });

  test("name rules also name their rule; include stays the explicit override for both kinds", async () => {
    const root = makeTree({ "app/__init__.py": "", "app/secrets.toml": "a = 1\n", "app/key_loader.py": `K = """${pem("ec", "sec1")}"""\n` });
    const skipped = await build(root);
    expect(skipped.zipPaths).toEqual(["app/__init__.py"]);
    expect(skipped.warnings.find((w) => w.path === "app/secrets.toml")?.message).toMatch(/secrets\.toml/);
    const shipped = await build(root, ["app/secrets.toml", "app/key_loader.py"]);
    expect(shipped.zipPaths).toEqual(["app/__init__.py", "app/key_loader.py", "app/secrets.toml"]);
    expect(shipped.warnings).toEqual([]);
  });

  test("a key straddling hashing's 1 MiB reads of a large file is found", async () => {
    const pad = "#".repeat(1024 * 1024 - 30) + "\n";
    const root = makeTree({ "app/__init__.py": "", "app/blob.py": `${pad}${pem("rsa")}` });
    const { zipPaths, warnings } = await build(root);
    expect(zipPaths).toEqual(["app/__init__.py"]);
    expect(warnings.map((w) => w.path)).toEqual(["app/blob.py"]);
  });

  test("a warm rebuild (stat cache hit, no read) still skips the file: the verdict is cached with the digest", async () => {
    const root = makeTree({ "app/__init__.py": "", "app/conf.py": `T = "${TOKENS["github-token"]}"\n` });
    const cacheDir = tempDir("sab-cache-");
    for (let round = 0; round < 2; round++) {
      const events: BundleEvent[] = [];
      const bundle = await buildBundle({ root, cacheDir, onEvent: (e) => events.push(e) });
      expect(bundle.hashedFiles.map((f) => f.zipPath)).toEqual(["app/__init__.py"]);
      expect(events.some((e) => e.type === "warning" && e.path === "app/conf.py")).toBe(true);
    }
  });
});
