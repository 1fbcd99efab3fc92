"""The pyspark rival of bench section h: one whole rerun by hand, as a user without spark-autobundle
does it after an edit. A new process opens a session, zips the project (zipfile, deflate level 6),
adds the zip with addArtifacts, runs the same UDF over one row and stops. Prints one JSON line:
{"value": V, "phases": {...ms}} so the driver checks the edited code ran.

Usage: python rerun.py <sc:// url> <project root> <module> <function>
"""
import time

started = time.perf_counter()
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import zipfile  # noqa: E402

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql.functions import udf  # noqa: E402

imported = time.perf_counter()
url, root, module, fn = sys.argv[1:5]
spark = SparkSession.builder.remote(url).getOrCreate()
connected = time.perf_counter()
work = tempfile.mkdtemp(prefix="sab-bench-rerun-")
target = os.path.join(work, "project.zip")
with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
    for directory, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            full = os.path.join(directory, name)
            z.write(full, os.path.relpath(full, root))
spark.addArtifacts(target, pyfile=True)
zipped = time.perf_counter()


def call(x):
    import importlib

    return getattr(importlib.import_module(module), fn)(x)


value = spark.range(1).select(udf(call, "bigint")("id").alias("v")).collect()[0]["v"]
ran = time.perf_counter()
spark.stop()
os.remove(target)
os.rmdir(work)
ms = lambda a, b: round((b - a) * 1000, 1)  # noqa: E731
print(json.dumps({"value": value, "phases": {"import": ms(started, imported), "session": ms(imported, connected), "bundle": ms(connected, zipped), "job": ms(zipped, ran), "stop": ms(ran, time.perf_counter())}}))
