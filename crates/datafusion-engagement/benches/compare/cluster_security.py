"""The --cluster-security section of the comparison harness (issue 46): the cluster's queries on
a cluster without credentials, one with the shared secret, and one with the secret and mutual
TLS, to show what the protections cost.

Imported by compare.py, which owns the data, the engines and the report file. The
certificates are made with the `openssl` command, as an operator would make them."""

import subprocess
import tempfile
from pathlib import Path

import compare as c

CLUSTER_SECURITY_HEADING = "## Cluster security"

QUERIES = ("stickiness", "engagement_score_alone")

# (name, description): each cluster the queries run on.
SETUPS = (
    ("plain", "no credentials (tasks pushed to the executors)"),
    ("secret", "shared secret, plain text (executors ask for tasks)"),
    ("tls", "shared secret and mutual TLS"),
)


def make_credentials(directory):
    """A secret, a certificate authority and one certificate (server and client use, for
    localhost and 127.0.0.1) in `directory`; the options giving them to a process."""
    d = Path(directory)

    def openssl(*arguments):
        subprocess.run(["openssl", *arguments], check=True, cwd=d,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    (d / "secret").write_text(subprocess.run(["openssl", "rand", "-hex", "32"], check=True,
                                             capture_output=True, text=True).stdout)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=engage bench CA")
    openssl("req", *ec, "-keyout", "key.pem", "-out", "cert.csr", "-subj", "/CN=localhost")
    (d / "ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                           "extendedKeyUsage=serverAuth,clientAuth\n")
    openssl("x509", "-req", "-in", "cert.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "ext")
    secret = ["--secret-file", str(d / "secret")]
    tls = ["--tls-ca", str(d / "ca.pem"), "--tls-cert", str(d / "cert.pem"),
           "--tls-key", str(d / "key.pem")]
    return {"plain": ([], []), "secret": (secret, secret),
            "tls": (secret + tls + ["--mutual-tls"], secret + tls)}


ROUNDS = 3


def run(args, engage, data):
    """{query name: {setup: Measurement}}. The three clusters run side by side and the setups
    take turns, round after round, so that the machine's drift (this one is noisy) falls on
    each alike; a setup's times are those of every round."""
    results = {name: {setup: c.Measurement([], 0, None) for setup, _ in SETUPS}
               for name in QUERIES}
    clusters = {}
    with tempfile.TemporaryDirectory(prefix="engage-bench-credentials-") as directory:
        options = make_credentials(directory)
        try:
            for setup, _ in SETUPS:
                clusters[setup] = c.LocalCluster(engage, options[setup][0])
            for round_number in range(1, ROUNDS + 1):
                for setup, _ in SETUPS:
                    for name in QUERIES:
                        description, variants = c.QUERIES[name]
                        sql = variants["ours"].format(**c.table_sql("cluster", data))
                        c.step(f"{description}: {setup} cluster, round {round_number}")
                        m = c.run_engage(engage, args.threads, args.runs, sql,
                                         clusters[setup], options[setup][1])
                        kept = results[name][setup]
                        kept.times += m.times
                        kept.error = kept.error or m.error
                        print(f"    {c.seconds(m)}" + (f": {m.error}" if m.error else ""),
                              flush=True)
        finally:
            for cluster in clusters.values():
                cluster.stop()
    return results


def report(args, results):
    lines = [
        CLUSTER_SECURITY_HEADING, "",
        "Measured with `python3 crates/datafusion-engagement/benches/compare/compare.py "
        f"--cluster-security --runs {args.runs}`: the cluster column's queries "
        f"({args.events:,} events of {args.users:,} users) on three local clusters of a "
        "scheduler and two executors (one core and one task slot each), running side by side "
        f"and taking turns for {ROUNDS} rounds; in each round a client process runs each "
        f"query once to warm up and {args.runs} times timed. The median of the "
        f"{ROUNDS * args.runs} times. The setups:", ""]
    lines += [f"- **{name}**: {description}" for name, description in SETUPS]
    lines += ["", "| query | " + " | ".join(name for name, _ in SETUPS)
              + " | TLS / plain | TLS / secret |", "|---|" + "---|" * (len(SETUPS) + 2)]
    goals = []
    for name in QUERIES:
        row = results[name]
        cells = [c.seconds(row[setup]) for setup, _ in SETUPS]
        ratio = (lambda a, b: row[a].median / row[b].median
                 if row[a].times and row[b].times else None)
        tls_plain, tls_secret = ratio("tls", "plain"), ratio("tls", "secret")
        shown = [f"{r:.2f}×" if r else "—" for r in (tls_plain, tls_secret)]
        lines.append(f"| {c.QUERIES[name][0]} | " + " | ".join(cells + shown) + " |")
        goals.append((f"{c.QUERIES[name][0]}: TLS within 10 % of the plain-text cluster "
                      "(the same credentials and scheduling, without TLS)",
                      shown[1], tls_secret is not None and tls_secret <= 1.10))
        goals.append((f"{c.QUERIES[name][0]}: the protected cluster (secret and mutual TLS) "
                      "within 10 % of the cluster without credentials",
                      shown[0], tls_plain is not None and tls_plain <= 1.10))
    lines += ["", "| goal | measured | holds |", "|---|---|---|"]
    lines += [f"| {goal} | {measured} | {'yes' if holds else '**no**'} |"
              for goal, measured, holds in goals]
    return "\n".join(lines) + "\n"
