# loadgen as a container image: the worker image of infra/k8s (an Indexed Job), or
# `docker run` anywhere. Multi-stage: build with the pinned Rust toolchain, run on a slim
# Debian with CA certificates (for AWS's HTTPS endpoints), as a non-root user.
#   docker build -t loadgen .
#   docker run --rm -e AWS_REGION=us-east-1 loadgen --stack retail-event-processing --rps 5000 --duration 10m
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p loadgen \
    && install -m 0755 target/release/loadgen /usr/local/bin/loadgen

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates=20230311* \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin loadgen
COPY --from=build /usr/local/bin/loadgen /usr/local/bin/loadgen
USER 10001
WORKDIR /home/loadgen
# SIGTERM (Kubernetes deleting the pod, docker stop) settles in-flight requests, writes
# the results and exits 143.
STOPSIGNAL SIGTERM
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/loadgen"]
CMD ["--help"]
