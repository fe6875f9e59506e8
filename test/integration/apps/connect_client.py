"""A thin Spark Connect client (pyspark-client: no JVM, no Spark jars): a DataFrame job on the
server and a Parquet round trip through the store, as a laptop or a notebook runs them.

    python connect_client.py sc://HOST:PORT s3a://BUCKET/PREFIX/

Prints one line `RESULT {json}`: the server's application id, the group counts, the rows read
back, and the seconds to the first answer and for the whole job.
"""
import json
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main(url: str, data_uri: str) -> None:
    started = time.monotonic()
    spark = SparkSession.builder.remote(url).getOrCreate()
    assert spark.range(3).count() == 3
    first = time.monotonic() - started
    job_started = time.monotonic()
    df = spark.range(0, 100_000).withColumn("k", F.col("id") % 10)
    counts = {r["k"]: r["n"] for r in df.groupBy("k").agg(F.count("*").alias("n")).collect()}
    df.write.mode("overwrite").parquet(data_uri)
    back = spark.read.parquet(data_uri).count()
    job = time.monotonic() - job_started
    print("RESULT " + json.dumps({
        "appId": spark.conf.get("spark.app.id"),
        "counts": counts,
        "rowsReadBack": back,
        "firstQuerySeconds": round(first, 2),
        "jobSeconds": round(job, 2),
    }), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
