"""The Kubernetes side (infra/k8s): the Indexed Job runs N workers of one load, each with
its index, the shared seed and start time, and writes where the merge Job reads. The
workers' IAM policy is the stacks' LoadgenWorkerPolicy (test_template.py)."""

import pathlib
import subprocess

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
K8S = ROOT / "infra" / "k8s"


def render(*args):
    out = subprocess.run(
        [str(K8S / "run-workers.sh"), "--render-only", *args], check=True, capture_output=True, text=True
    ).stdout
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out) if d}


def test_the_indexed_job_runs_n_workers_of_one_load():
    docs = render(
        "--workers", "6", "--rps", "60000", "--duration", "5m", "--image", "repo/loadgen@sha256:abc",
        "--results", "s3://bucket/loads/x/",
    )
    job = docs[("Job", "loadgen-workers")]
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == spec["parallelism"] == 6
    load = docs[("ConfigMap", "loadgen-load")]["data"]
    assert load["LOADGEN_WORKERS"] == "6" and load["LOADGEN_RPS"] == "60000" and load["LOADGEN_DURATION"] == "5m"
    assert load["LOADGEN_START_AT"].endswith("Z") and load["LOADGEN_SEED"].isdigit()
    assert load["LOADGEN_RESULTS"] == "s3://bucket/loads/x/"
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    args = container["args"]
    pairs = dict(zip(args[::2], args[1::2]))
    assert pairs["--workers"] == "$(LOADGEN_WORKERS)", "the index comes from JOB_COMPLETION_INDEX"
    assert pairs["--seed"] == "$(LOADGEN_SEED)" and pairs["--start-at"] == "$(LOADGEN_START_AT)"
    assert pairs["--out"] == "$(LOADGEN_RESULTS)", "each worker uploads under worker-I/ of it"
    assert container["image"] == "repo/loadgen@sha256:abc"
    assert pod["serviceAccountName"] == "loadgen" and pod["restartPolicy"] == "Never"
    assert pod["terminationGracePeriodSeconds"] >= 60, "SIGTERM settles in-flight requests"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    merge = yaml.safe_load((K8S / "merge-job.yaml").read_text())
    assert merge["spec"]["template"]["spec"]["containers"][0]["args"] == ["report", "$(LOADGEN_RESULTS)", "--write-result"]


def test_each_worker_serves_its_live_figures_to_prometheus():
    docs = render("--workers", "3", "--rps", "3000", "--duration", "1m", "--results", "s3://b/p/")
    pod = docs[("Job", "loadgen-workers")]["spec"]["template"]
    container = pod["spec"]["containers"][0]
    args = container["args"]
    assert args[args.index("--metrics-listen") + 1] == ":9464"
    assert {"name": "metrics", "containerPort": 9464, "protocol": "TCP"} in container["ports"]
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == "9464"
    policy = docs[("NetworkPolicy", "loadgen")]["spec"]
    assert [p["port"] for rule in policy["ingress"] for p in rule["ports"]] == [9464], "only scrapes come in"
    monitor = yaml.safe_load((K8S / "monitoring" / "podmonitor.yaml").read_text())
    assert monitor["kind"] == "PodMonitor"
    assert monitor["spec"]["selector"]["matchLabels"] == pod["metadata"]["labels"]
    assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"
