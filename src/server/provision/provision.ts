import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { FETCH_CONNECT_JAR_PY, VENV_PROBE_PY } from "../../gen/embedded.js";
import { writeFileAtomic } from "../home/atomic-file.js";
import { LOOPBACK_HOST, USER_SPARK_ENV } from "../constants.js";
import { AUTH_JAR_NAME, buildAuthJar } from "./auth-interceptor.js";
import { ProvisionError, quoteLogTail } from "../errors.js";
import type { HomeLayout } from "../home/paths.js";
import { sparkSubmitPath, venvPython, venvSparkHome } from "../home/paths.js";
import { formatDuration, type ProgressCallback } from "../process/progress.js";
import { runCapture } from "../process/processes.js";
import { detectJava, type DetectedPython } from "./requirements.js";
import { DEFAULT_SPARK_LINE, sparkLineSpec, type SparkLineSpec } from "./spark-lines.js";

/** Everything pip installs into a line's venv; a venv made for another list is replaced. */
export function venvRequirements(line: SparkLineSpec): string[] {
  return [`pyspark==${line.pysparkVersion}`, ...line.workerPackages];
}
/** The default line's list (pyspark 4.1 plus the pinned worker packages). */
export const VENV_REQUIREMENTS: readonly string[] = venvRequirements(sparkLineSpec(DEFAULT_SPARK_LINE));

export interface ProvisionedSpark {
  venvDir: string;
  pythonExecutable: string;
  /** "3.11": the venv's python, which also runs the Python workers. */
  pythonVersion: string;
  sparkHome: string;
  sparkSubmit: string;
  pysparkVersion: string;
  /** Spark 3.5 only: the Maven coordinate of its Connect server, and the token interceptor's jar. */
  connectPackage?: string;
  authJar?: string;
}

interface VenvMarker {
  pysparkVersion: string;
  requirements?: string[];
  pythonVersion: string;
  createdAt: string;
}

/** The provisioned venv when it is complete and of the pinned version, else undefined. */
export function findProvisioned(layout: HomeLayout): ProvisionedSpark | undefined {
  let marker: VenvMarker;
  try {
    marker = JSON.parse(fs.readFileSync(layout.venvMarker, "utf8")) as VenvMarker;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || error instanceof SyntaxError) return undefined;
    throw error;
  }
  const line = layout.line;
  if (marker.pysparkVersion !== line.pysparkVersion) return undefined;
  if ((marker.requirements ?? []).join(" ") !== venvRequirements(line).join(" ")) return undefined;
  const sparkHome = venvSparkHome(layout.venvDir, marker.pythonVersion);
  const provisioned: ProvisionedSpark = {
    venvDir: layout.venvDir,
    pythonExecutable: venvPython(layout.venvDir),
    pythonVersion: marker.pythonVersion,
    sparkHome,
    sparkSubmit: sparkSubmitPath(sparkHome),
    pysparkVersion: marker.pysparkVersion,
  };
  if (line.connectPackage) {
    provisioned.connectPackage = line.connectPackage;
    provisioned.authJar = path.join(layout.venvDir, AUTH_JAR_NAME);
    if (!fs.existsSync(provisioned.authJar)) return undefined;
  }
  const intact = fs.existsSync(provisioned.pythonExecutable) && fs.existsSync(provisioned.sparkSubmit);
  return intact ? provisioned : undefined;
}

/**
 * Returns the pinned pyspark venv, creating it on first use. The venv is built in a temp dir and
 * renamed into place with its marker already inside, so an interrupted install never looks complete.
 * Callers must hold the home lock.
 */
export async function ensureProvisioned(
  layout: HomeLayout,
  python: DetectedPython,
  onProgress: ProgressCallback,
  env: NodeJS.ProcessEnv,
): Promise<ProvisionedSpark> {
  const existing = findProvisioned(layout);
  if (existing) return existing;

  removeLeftovers(layout);
  fs.mkdirSync(layout.logsDir, { recursive: true });
  const logFile = path.join(layout.logsDir, "pip-install.log");
  fs.writeFileSync(logFile, "");
  const tempDir = `${layout.venvDir}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  const started = Date.now();
  const line = layout.line;
  const requirements = venvRequirements(line);
  const pysparkRequirement = requirements[0]!;
  try {
    onProgress(`spark-autobundle: creating a Python ${python.version.raw} venv for ${requirements.join(" ")}`);
    await runLogged(python.executable, ["-m", "venv", tempDir], logFile, env, () => undefined).catch((error: unknown) => {
      throw new ProvisionError(
        `Creating a venv with \`${python.executable} -m venv\` failed. On Debian/Ubuntu install the venv module ` +
          `(\`sudo apt-get install python3-venv\`), or set SPARK_AUTOBUNDLE_PYTHON to a Python that has it.\n` +
          quoteLogTail(logFile),
        { cause: error, logFile },
      );
    });

    const tempPython = venvPython(tempDir);
    const pipArgs = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", ...requirements];
    await runLogged(tempPython, pipArgs, logFile, env, (phase) =>
      onProgress(`spark-autobundle: installing ${pysparkRequirement} (${formatDuration(Date.now() - started)}) ${phase}`),
    ).catch((error: unknown) => {
      throw new ProvisionError(
        `\`pip install ${requirements.join(" ")}\` failed. Check your network access to PyPI (or pip's proxy/index ` +
          `settings) and retry.\n${quoteLogTail(logFile)}`,
        { cause: error, logFile },
      );
    });

    const probe = await captureProbe(tempPython, env, logFile);
    if (probe.pysparkVersion !== line.pysparkVersion) {
      throw new ProvisionError(
        `pip installed pyspark ${probe.pysparkVersion}, expected ${line.pysparkVersion}. Check pip's configuration ` +
          `(constraints files, PIP_* env vars) in ${logFile}.`,
        { logFile },
      );
    }
    if (line.connectPackage) await provisionConnectPackage(layout, line.connectPackage, tempDir, probe.pythonVersion, logFile, env, onProgress);
    const marker: VenvMarker = {
      pysparkVersion: probe.pysparkVersion,
      requirements,
      pythonVersion: probe.pythonVersion,
      createdAt: new Date().toISOString(),
    };
    writeFileAtomic(path.join(tempDir, path.basename(layout.venvMarker)), `${JSON.stringify(marker, null, 2)}\n`);
    fs.renameSync(tempDir, layout.venvDir);
  } finally {
    fs.rmSync(tempDir, { recursive: true, force: true });
  }

  const provisioned = findProvisioned(layout);
  if (!provisioned) {
    throw new ProvisionError(
      `The venv at ${layout.venvDir} was installed but pyspark's spark-submit is missing from it. ` +
        `Delete ${layout.venvDir} and retry.\nFull log: ${logFile}`,
      { logFile },
    );
  }
  onProgress(`spark-autobundle: installed ${pysparkRequirement} in ${formatDuration(Date.now() - started)}`);
  return provisioned;
}

/**
 * Spark 3.5: fetches its Connect server (`--packages`, into the home's Ivy cache, so later starts
 * need no network) by starting pyspark once (python/fetch_connect_jar.py), then compiles the token
 * interceptor (java/) against that jar.
 */
async function provisionConnectPackage(
  layout: HomeLayout,
  connectPackage: string,
  venvDir: string,
  pythonVersion: string,
  logFile: string,
  env: NodeJS.ProcessEnv,
  onProgress: ProgressCallback,
): Promise<void> {
  const java = await detectJava(env);
  onProgress(`spark-autobundle: fetching ${connectPackage} from Maven Central`);
  const pythonEnv: NodeJS.ProcessEnv = { ...env };
  for (const name of USER_SPARK_ENV) delete pythonEnv[name];
  Object.assign(pythonEnv, { JAVA_HOME: java.javaHome, SPARK_HOME: venvSparkHome(venvDir, pythonVersion), SPARK_LOCAL_IP: LOOPBACK_HOST });
  await runLogged(venvPython(venvDir), ["-c", FETCH_CONNECT_JAR_PY, connectPackage, layout.ivyDir], logFile, pythonEnv, () => undefined).catch((error: unknown) => {
    throw new ProvisionError(
      `Fetching ${connectPackage} (Spark 3.5's Connect server, which pip's pyspark 3.5 lacks) failed. Check network access to ` +
        `Maven Central (Java's proxy settings apply).\n${quoteLogTail(logFile)}`,
      { cause: error, logFile },
    );
  });
  const [group, artifact, version] = connectPackage.split(":");
  const connectJar = path.join(layout.ivyDir, "jars", `${group}_${artifact}-${version}.jar`);
  if (!fs.existsSync(connectJar)) {
    throw new ProvisionError(`Ivy reported success but ${connectJar} is missing. Delete ${layout.ivyDir} and retry.`, { logFile });
  }
  await buildAuthJar({ venvDir, connectJar, javaHome: java.javaHome, logFile, env });
}

/** Partial venvs from interrupted installs, and a venv whose marker is missing or of another pin. */
function removeLeftovers(layout: HomeLayout): void {
  const parent = path.dirname(layout.venvDir);
  if (!fs.existsSync(parent)) return;
  const prefix = `${path.basename(layout.venvDir)}.partial-`;
  for (const entry of fs.readdirSync(parent)) {
    if (entry.startsWith(prefix)) fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
  fs.rmSync(layout.venvDir, { recursive: true, force: true });
}

const PIP_PHASE = /^(Collecting|Downloading|Using cached|Installing build dependencies|Getting requirements|Preparing metadata|Building wheels? for|Created wheel|Installing collected|Successfully installed)/;

/** Runs a command with output appended to the log; `onPhase` gets pip's milestone lines and a heartbeat. */
function runLogged(
  command: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv,
  onPhase: (phase: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.appendFileSync(logFile, `$ ${command} ${args.join(" ")}\n`);
    const log = fs.openSync(logFile, "a");
    const child = spawn(command, args, {
      env: { ...env, PYTHONUNBUFFERED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    let phase = "";
    let pending = "";
    const onData = (chunk: Buffer) => {
      fs.writeSync(log, chunk);
      pending += chunk.toString("utf8");
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? "";
      for (const line of lines.map((l) => l.trim())) {
        if (!PIP_PHASE.test(line)) continue;
        phase = line.length > 90 ? `${line.slice(0, 89)}…` : line;
        onPhase(phase);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const heartbeat = setInterval(() => onPhase(phase), 5_000);
    child.on("error", (error) => {
      clearInterval(heartbeat);
      fs.closeSync(log);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearInterval(heartbeat);
      fs.closeSync(log);
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} ${args.slice(0, 2).join(" ")} exited with ${signal ?? `code ${code}`}`));
    });
  });
}

/** pyspark's version and the venv's major.minor, from python/venv_probe.py. */
async function captureProbe(python: string, env: NodeJS.ProcessEnv, logFile: string) {
  const run = await runCapture(python, ["-c", VENV_PROBE_PY], { env, timeoutMs: 60_000 });
  fs.appendFileSync(logFile, `$ ${python} -c <venv_probe.py>\n${run.stdout}${run.stderr}`);
  if (run.exitCode !== 0) {
    throw new ProvisionError(`The new venv cannot import pyspark.\n${quoteLogTail(logFile)}`, { logFile });
  }
  const [pysparkVersion = "", pythonVersion = ""] = run.stdout.trim().split(/\r?\n/).map((line) => line.trim());
  return { pysparkVersion, pythonVersion };
}
