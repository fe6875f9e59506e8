"""Benchmark job: many short jobs and stages (an interactive session's shape), so the event log
has many job/stage events and SQL executions but few tasks per stage."""
import json

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = SparkSession.builder.getOrCreate()
df = spark.range(0, 50_000, numPartitions=2).withColumn("k", F.col("id") % 7).cache()
checks = 0
for i in range(40):
    n = df.filter(F.col("k") == i % 7).count()
    top = df.groupBy("k").agg(F.max("id").alias("m")).orderBy("k").collect()
    assert n > 0 and len(top) == 7
    checks += 1
print("RESULT " + json.dumps({"appId": spark.sparkContext.applicationId, "checks": checks}))
spark.stop()
