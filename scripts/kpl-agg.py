#!/usr/bin/env python3
"""KPL aggregates made and read by AWS's own implementation (aws-kinesis-agg on PyPI), to
cross-check this project's producer and the function's de-aggregation.

Usage:
  kpl-agg.py build   stdin: JSON lines [partition_key, data]; stdout: the aggregate, base64
  kpl-agg.py read    stdin: an aggregate, base64; stdout: JSON lines [partition_key, explicit_hash_key, data]
"""

import base64
import json
import sys

from aws_kinesis_agg.aggregator import RecordAggregator
from aws_kinesis_agg.deaggregator import deaggregate_records


def build():
    agg = RecordAggregator()
    for line in sys.stdin:
        if line.strip():
            key, data = json.loads(line)
            # add_user_record returns a full aggregate when the next record would not fit.
            if agg.add_user_record(key, data.encode()) is not None:
                sys.exit("too many records for one aggregate")
    _, _, data = agg.clear_and_get().get_contents()
    print(base64.b64encode(data).decode())


def read():
    data = sys.stdin.read().strip()
    record = {
        "eventSource": "aws:kinesis",
        "kinesis": {"data": data, "partitionKey": "p", "sequenceNumber": "1", "kinesisSchemaVersion": "1.0", "approximateArrivalTimestamp": 0},
    }
    for r in deaggregate_records([record]):
        k = r["kinesis"]
        print(json.dumps([k["partitionKey"], k.get("explicitHashKey"), base64.b64decode(k["data"]).decode()]))


if __name__ == "__main__":
    {"build": build, "read": read}[sys.argv[1] if len(sys.argv) > 1 else ""]()
