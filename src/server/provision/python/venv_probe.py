# What a provisioned venv holds (provision.ts after pip install, and `spark-autobundle doctor`):
# line 1 pyspark's version, line 2 the interpreter's major.minor. Fails if pyspark can't be imported.
import sys

import pyspark

print(pyspark.__version__)
print("%d.%d" % sys.version_info[:2])
