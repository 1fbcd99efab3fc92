# Spark 3.5 only (see provision.ts provisionConnectPackage): pip's pyspark 3.5 lacks the Connect server,
# so starting a local session once with spark.jars.packages makes Ivy fetch it (and its dependencies)
# into the home's Ivy cache, where later server starts find it without network.
# Usage: python fetch_connect_jar.py GROUP:ARTIFACT:VERSION IVY_DIR   (run with `python -c`)
import sys

from pyspark.sql import SparkSession

session = (
    SparkSession.builder.master("local[1]")
    .config("spark.jars.packages", sys.argv[1])
    .config("spark.jars.ivy", sys.argv[2])
    .config("spark.ui.enabled", "false")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .getOrCreate()
)
session.stop()
