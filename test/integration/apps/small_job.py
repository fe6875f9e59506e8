"""A small PySpark job (case 1): a shuffle and an aggregate, so the event log has stages."""
import json

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = SparkSession.builder.getOrCreate()
df = spark.range(0, 200_000, numPartitions=4).withColumn("k", F.col("id") % 10)
rows = df.groupBy("k").agg(F.sum("id").alias("s")).orderBy("k").collect()
total = sum(r["s"] for r in rows)
assert total == sum(range(200_000)), total
print("RESULT " + json.dumps({"appId": spark.sparkContext.applicationId, "groups": len(rows), "sum": total}))
spark.stop()
