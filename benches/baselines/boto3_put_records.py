"""The producer a user would write instead of loadgen: boto3's put_records in batches of
500 from a few threads, each event built with random fields and json.dumps, against the
endpoint given (the fast local Kinesis-API endpoint, benches/src/fast_endpoint.rs).

Prints boto3_records_per_s=<n> (wall clock) and boto3_records_per_cpu_s=<n> (records per
CPU-second of this process, every thread): the figure worker_ceiling.rs compares with
loadgen's, measured in the same run on the same machine.
"""

import argparse
import json
import random
import resource
import threading
import time
import uuid

import boto3
from botocore.config import Config

EVENT_TYPES = ["view", "add_to_cart", "purchase"]


def event(rng):
    kind = rng.choice(EVENT_TYPES)
    e = {
        "eventId": str(uuid.uuid4()),
        "userId": f"user-{rng.randrange(10_000):05d}",
        "eventType": kind,
        "productId": f"P{rng.randrange(10_000):04d}",
        "timestamp": int(time.time() * 1000),
        "sessionId": str(uuid.uuid4()),
        "userAgent": "Mozilla/5.0",
        "ipAddress": f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
    }
    if kind != "view":
        e.update(price=round(rng.uniform(1, 200), 2), quantity=rng.randrange(1, 4), currency="USD")
    return e


def worker(client, stop, counts, index):
    rng = random.Random(index)
    while not stop.is_set():
        records = []
        for _ in range(500):
            e = event(rng)
            records.append({"Data": json.dumps(e).encode(), "PartitionKey": e["userId"]})
        out = client.put_records(StreamName="fast", Records=records)
        counts[index] += len(records) - out["FailedRecordCount"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--seconds", type=float, default=15)
    p.add_argument("--threads", type=int, default=8)
    a = p.parse_args()
    config = Config(max_pool_connections=a.threads, retries={"max_attempts": 3}, connect_timeout=3, read_timeout=10)
    client = boto3.client(
        "kinesis",
        endpoint_url=a.endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=config,
    )
    stop = threading.Event()
    counts = [0] * a.threads
    cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    threads = [threading.Thread(target=worker, args=(client, stop, counts, i)) for i in range(a.threads)]
    for t in threads:
        t.start()
    time.sleep(a.seconds)
    stop.set()
    for t in threads:
        t.join()
    cpu1, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - t0
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    total = sum(counts)
    print(f"boto3_records_per_s={total / wall:.0f}")
    print(f"boto3_records_per_cpu_s={total / cpu:.0f}")


if __name__ == "__main__":
    main()
