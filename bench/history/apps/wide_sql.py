"""Benchmark job: a few wide SQL queries (joins, aggregations, 200 shuffle partitions, AQE off),
so the event log has thousands of task events: the shape that makes a UI replay expensive."""
import json

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = (SparkSession.builder
         .config("spark.sql.adaptive.enabled", "false")
         .config("spark.sql.shuffle.partitions", "200")
         .getOrCreate())
facts = spark.range(0, 400_000, numPartitions=16).select(
    F.col("id"), (F.col("id") % 1000).alias("dim"), (F.col("id") * 7 % 101).alias("v"))
dims = spark.range(0, 1000, numPartitions=4).select(F.col("id").alias("dim"), (F.col("id") % 13).alias("grp"))
rows = 0
for q in range(4):
    out = (facts.join(dims, "dim")
           .groupBy("grp").agg(F.sum("v").alias("s"), F.countDistinct("dim").alias("d"))
           .orderBy("grp").collect())
    assert len(out) == 13, out
    rows += len(out)
print("RESULT " + json.dumps({"appId": spark.sparkContext.applicationId, "rows": rows}))
spark.stop()
