"""Case 3: the event-log prefix object is missing, then created.

    missing_prefix.py <s3-endpoint> <access-key> <secret-key> <bucket> <prefix>

The first SparkSession fails (what a user sees when the prefix object is missing); after the
zero-byte directory object is put through the S3 API, a second session in the same process
starts and finishes. Prints one RESULT line (JSON).
"""
import json
import sys

import boto3
from pyspark.sql import SparkSession

endpoint, access_key, secret_key, bucket, prefix = sys.argv[1:6]
result = {}
try:
    SparkSession.builder.getOrCreate()
    result["first"] = "started"
except Exception as e:  # py4j.protocol.Py4JJavaError
    result["first"] = "failed"
    result["error"] = str(e)

s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=access_key, aws_secret_access_key=secret_key)
s3.put_object(Bucket=bucket, Key=prefix, Body=b"")

spark = SparkSession.builder.getOrCreate()
result["count"] = spark.range(1000).count()
result["appId"] = spark.sparkContext.applicationId
spark.stop()
print("RESULT " + json.dumps(result))
