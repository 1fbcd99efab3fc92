"""The pyspark rival for the benchmarks: one Spark Connect session, driven by JSON lines on stdin.

Each request is one JSON object per line; each answer one JSON line on stdout: {"ok": true, ...}
or {"ok": false, "error": "..."}. Commands:
  {"cmd": "add", "path": P}            spark.addArtifacts(P, pyfile=True) under a fresh file name
  {"cmd": "loop", "root": R, "module": M, "fn": F, "expect": N}
      the manual edit loop: zip the tree (zipfile, deflate level 6) under a fresh name, add it,
      run a UDF that imports M from that zip, check it returns N
"""
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
import zipfile

from pyspark.sql import SparkSession
from pyspark.sql.functions import udf

spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
work = tempfile.mkdtemp(prefix="sab-bench-py-")


def fresh_copy(path):
    """pyspark names a pyfile after its base name; a new name per upload, as a user must use."""
    target = os.path.join(work, f"{uuid.uuid4().hex}-{os.path.basename(path)}")
    os.link(path, target)
    return target


def zip_tree(root, target):
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for directory, _, names in sorted(os.walk(root)):
            for name in sorted(names):
                full = os.path.join(directory, name)
                z.write(full, os.path.relpath(full, root))


def module_udf(zip_name, module, fn):
    def call(x):
        # Workers are reused and cache imports: import from this upload's zip, not an earlier one.
        import importlib
        import sys as worker_sys

        entry = next((p for p in worker_sys.path if p.endswith(zip_name)), None)
        if entry is None:
            raise RuntimeError(f"{zip_name} is not on the worker's sys.path: {worker_sys.path}")
        top = module.split(".")[0]
        for name in [n for n in worker_sys.modules if n == top or n.startswith(top + ".")]:
            del worker_sys.modules[name]
        worker_sys.path.remove(entry)
        worker_sys.path.insert(0, entry)
        importlib.invalidate_caches()
        return getattr(importlib.import_module(module), fn)(x)

    return udf(call, "bigint")


def handle(request):
    cmd = request["cmd"]
    if cmd == "version":
        return {"spark": spark.version}
    if cmd == "add":
        path = fresh_copy(request["path"])
        started = time.perf_counter()
        spark.addArtifacts(path, pyfile=True)
        return {"ms": (time.perf_counter() - started) * 1000}
    if cmd == "loop":
        started = time.perf_counter()
        zip_name = f"loop-{uuid.uuid4().hex}.zip"
        target = os.path.join(work, zip_name)
        zip_tree(request["root"], target)
        spark.addArtifacts(target, pyfile=True)
        f = module_udf(zip_name, request["module"], request["fn"])
        value = spark.range(1).select(f("id").alias("v")).collect()[0]["v"]
        ms = (time.perf_counter() - started) * 1000
        os.remove(target)
        if value != request["expect"]:
            raise RuntimeError(f"the UDF returned {value}, expected {request['expect']}")
        return {"ms": ms, "value": value}
    raise ValueError(f"unknown command {cmd!r}")


try:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = {"ok": True, **handle(json.loads(line))}
        except Exception as error:  # reported to the driver, which fails the row with it
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(answer), flush=True)
finally:
    shutil.rmtree(work, ignore_errors=True)
    spark.stop()
