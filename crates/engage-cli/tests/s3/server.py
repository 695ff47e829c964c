"""An S3-compatible server on loopback for engage's tests: moto, with IAM authentication on.

Usage: python server.py BUCKET LOCAL_FILE=KEY ...

Creates an IAM user allowed s3:*, a bucket holding the given files, prints one JSON line
{"endpoint", "access_key_id", "secret_access_key", "region"} and serves until standard input
closes (the test process ending closes it).
"""

import json
import logging
import os
import sys

# The first three requests (creating the user, its key and its policy) run unauthenticated;
# every later one must be signed with a valid key that IAM allows.
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"

import boto3  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

REGION = "us-east-1"


def main() -> None:
    bucket, files = sys.argv[1], sys.argv[2:]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"

    def client(service, key_id="setup", secret="setup"):
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
        )

    iam = client("iam")
    iam.create_user(UserName="analyst")
    key = iam.create_access_key(UserName="analyst")["AccessKey"]
    iam.put_user_policy(
        UserName="analyst",
        PolicyName="read-write-s3",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    s3 = client("s3", key["AccessKeyId"], key["SecretAccessKey"])
    s3.create_bucket(Bucket=bucket)
    for pair in files:
        local, object_key = pair.split("=", 1)
        s3.upload_file(local, bucket, object_key)

    print(
        json.dumps(
            {
                "endpoint": endpoint,
                "access_key_id": key["AccessKeyId"],
                "secret_access_key": key["SecretAccessKey"],
                "region": REGION,
            }
        ),
        flush=True,
    )
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
