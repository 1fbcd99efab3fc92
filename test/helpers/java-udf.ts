// A Java UDF compiled and jarred for real (javac + jar against the server's own pyspark jars), so a
// test can rebuild it with different behaviour, as a user's `mvn package` would.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** pyspark's jars directory next to the server's workers' Python (test context `sparkPython`). */
export function sparkJarsDir(sparkPython: string): string {
  const lib = join(dirname(dirname(sparkPython)), "lib");
  const code = "import glob,sys; print(glob.glob(sys.argv[1] + '/python3*/site-packages/pyspark/jars')[0])";
  return execFileSync("python3", ["-c", code, lib]).toString().trim();
}

/**
 * Writes `root/java/acme/Shout.java` (a UDF1<String,String> returning upper(s) + suffix), compiles it
 * and jars it into `root/<jarRel>`. Re-running with another suffix rebuilds the same jar path.
 */
export function buildShoutJar(root: string, sparkJars: string, suffix: string, jarRel = "target/shout.jar"): string {
  const src = join(root, "java/acme/Shout.java");
  mkdirSync(dirname(src), { recursive: true });
  writeFileSync(
    src,
    `package acme;\nimport org.apache.spark.sql.api.java.UDF1;\npublic class Shout implements UDF1<String, String> {\n  public String call(String s) { return s == null ? null : s.toUpperCase() + "${suffix}"; }\n}\n`,
  );
  const classes = join(root, "java/classes");
  rmSync(classes, { recursive: true, force: true });
  execFileSync("javac", ["-cp", `${sparkJars}/*`, "-d", classes, src]);
  const jar = join(root, jarRel);
  mkdirSync(dirname(jar), { recursive: true });
  rmSync(jar, { force: true });
  execFileSync("jar", ["cf", jar, "-C", classes, "."]);
  return jar;
}
