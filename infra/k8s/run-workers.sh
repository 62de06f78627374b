#!/usr/bin/env bash
# Runs one load as N loadgen workers on the current Kubernetes cluster (an Indexed Job),
# then merges their results: sets the load (workers, rate, duration, stack, a shared
# seed) and a start time a little ahead, so that pods scheduled at different moments
# begin the schedule together; waits for the workers, then for the merge Job.
# Needs kubectl with a context, the loadgen image (Dockerfile at the repository root)
# pushed where the cluster pulls it, and the ServiceAccount's IAM role (with the stack's
# LoadgenWorkerPolicy and LoadgenResultsPolicy attached).
# Usage: infra/k8s/run-workers.sh --workers N --rps R --duration D --stack NAME
#          --results s3://BUCKET/PREFIX/ [--region R] [--image IMAGE] [--start-in 120s]
#          [--namespace NS] [--render-only]
# --render-only prints the manifests it would apply (kubectl kustomize) and stops.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
workers=4 rps=20000 duration=10m stack=retail-event-processing region=${AWS_REGION:-us-east-1} results=
image=loadgen:0.1.0 start_in=120 namespace=loadgen render_only=false
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers=$2; shift 2 ;;
    --rps) rps=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --stack) stack=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --region) region=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --start-in) start_in=${2%s}; shift 2 ;;
    --namespace) namespace=$2; shift 2 ;;
    --render-only) render_only=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$workers" in ''|*[!0-9]*|0) echo "error: --workers takes a whole number of at least 1, not '$workers'" >&2; exit 2 ;; esac
case "$results" in s3://?*) ;; *) echo "error: --results takes the S3 prefix the workers write to, s3://BUCKET/PREFIX/" >&2; exit 2 ;; esac
case "$start_in" in ''|*[!0-9]*) echo "error: --start-in takes seconds, like 120s, not '$start_in'" >&2; exit 2 ;; esac
command -v kubectl >/dev/null || { echo "error: kubectl is not installed" >&2; exit 1; }

# The overlay sits beside the base: kustomize takes a base by relative path only.
run=$(mktemp -d "$here/../.k8s-run.XXXXXX")
trap 'rm -rf "$run"' EXIT
start_at=$(date -u -d "+${start_in} seconds" +%Y-%m-%dT%H:%M:%SZ)
cat >"$run/load.env" <<ENV
LOADGEN_WORKERS=$workers
LOADGEN_RPS=$rps
LOADGEN_DURATION=$duration
LOADGEN_STACK=$stack
LOADGEN_SEED=$(date -u +%s)
LOADGEN_START_AT=$start_at
LOADGEN_RESULTS=$results
AWS_REGION=$region
ENV
# An image by digest (REPO@sha256:…) or by tag (REPO:TAG).
case "$image" in
  *@*) image_fields="    newName: ${image%@*}
    digest: ${image#*@}" ;;
  *) image_fields="    newName: ${image%:*}
    newTag: ${image##*:}" ;;
esac
cat >"$run/kustomization.yaml" <<KUSTOMIZE
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $namespace
resources:
  - ../k8s
configMapGenerator:
  - name: loadgen-load
    behavior: replace
    envs:
      - load.env
images:
  - name: loadgen
$image_fields
patches:
  - target: {kind: Job, name: loadgen-workers}
    patch: |-
      - {op: replace, path: /spec/completions, value: $workers}
      - {op: replace, path: /spec/parallelism, value: $workers}
KUSTOMIZE

if $render_only; then
  kubectl kustomize "$run"
  exit 0
fi
echo "==> $workers workers at $rps events/s in all for $duration, starting at $start_at"
kubectl delete job -n "$namespace" loadgen-workers loadgen-merge --ignore-not-found
kubectl apply -k "$run"
seconds=$(( start_in + $(date -u -d "1970-01-01 + ${duration}" +%s 2>/dev/null || echo 3600) + 300 ))
kubectl wait -n "$namespace" --for=condition=complete --timeout="${seconds}s" job/loadgen-workers
echo "==> merging"
sed "s|image: loadgen:0.1.0|image: $image|" "$here/merge-job.yaml" | kubectl apply -n "$namespace" -f -
kubectl wait -n "$namespace" --for=condition=complete --timeout=600s job/loadgen-merge
kubectl logs -n "$namespace" job/loadgen-merge | head -1
echo "the merged report is in ${results%/}/merged/"
