//! `--metrics-listen ADDR`: the run's live figures as OpenMetrics text on `GET /metrics`,
//! for Prometheus to scrape while workers run (the convention for jobs on Kubernetes;
//! `infra/k8s/` has the Service and the PodMonitor). The figures are the ones the summary
//! reports, as they stand after each second: the ledger's counters, the events still in
//! flight, the rates, and the corrected put latency and end-to-end latency as cumulative
//! histograms (bucketed from the run's own HdrHistograms at scrape time, so nothing is
//! counted twice). The encoding is `prometheus-client`'s, the HTTP server is `hyper`'s.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use loadgen_engine::config::RunConfig;
use loadgen_engine::measure::{Latency, Ledger, TimelinePoint};
use loadgen_engine::observe::{Observer, Phase};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

/// The content type of OpenMetrics text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the latency histograms' buckets, in seconds (`+Inf` follows).
const LATENCY_BUCKETS_S: [f64; 15] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// Longest wait for a scraper's request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The run as it stands after the last second.
#[derive(Debug, Default)]
struct Live {
    ledger: Ledger,
    target_rps: f64,
    achieved_rps: f64,
    backlog: u64,
    iterator_age_ms: f64,
    elapsed_s: f64,
    running: bool,
    put: Latency,
    end_to_end: Latency,
}

/// The figures a scrape reads, updated by [`LiveObserver`].
#[derive(Debug, Clone, Default)]
pub struct LiveMetrics(Arc<Mutex<Live>>);

/// The observer that keeps [`LiveMetrics`] up to date.
#[derive(Debug)]
pub struct LiveObserver(LiveMetrics);

impl LiveMetrics {
    /// The observer that feeds these figures.
    pub fn observer(&self) -> LiveObserver {
        LiveObserver(self.clone())
    }

    /// A registry holding these figures, every name prefixed `loadgen_`, with a `worker`
    /// label (`I/N`) when the load is split.
    pub fn registry(&self, config: &RunConfig) -> Registry {
        let w = config.driver.worker;
        let labels: Vec<(Cow<'static, str>, Cow<'static, str>)> =
            if w.count > 1 { vec![("worker".into(), format!("{}/{}", w.index, w.count).into())] } else { Vec::new() };
        let mut registry = Registry::with_prefix_and_labels("loadgen", labels.into_iter());
        registry.register_collector(Box::new(self.clone()));
        registry
    }

    fn with<T>(&self, f: impl FnOnce(&mut Live) -> T) -> T {
        // A panicked writer leaves figures that are still worth serving.
        let mut live = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut live)
    }
}

impl Observer for LiveObserver {
    fn load_started(&mut self, config: &RunConfig) {
        self.0.with(|l| {
            l.running = true;
            l.target_rps = config.driver.profile.rate_at(0.0) * config.driver.worker.share();
        });
    }

    fn second(&mut self, point: &TimelinePoint, ledger: &Ledger) {
        let put = Latency::from_base64(&point.put_histogram);
        let end_to_end = Latency::from_base64(&point.end_to_end_histogram);
        self.0.with(|l| {
            l.ledger = ledger.clone();
            l.target_rps = point.target_rps;
            l.achieved_rps = point.achieved_rps;
            l.backlog = point.backlog;
            l.iterator_age_ms = point.iterator_age_ms;
            l.elapsed_s = point.t;
            if let Some(h) = &put {
                l.put.merge(h);
            }
            if let Some(h) = &end_to_end {
                l.end_to_end.merge(h);
            }
        });
    }

    fn load_finished(&mut self) {
        self.0.with(|l| {
            l.running = false;
            l.target_rps = 0.0;
        });
    }

    fn phase(&mut self, _phase: &Phase) {}
}

impl Collector for LiveMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        self.with(|l| {
            let g = &l.ledger;
            let in_flight = g.generated.saturating_sub(g.accepted + g.expired + g.rejected);
            let counters: [(&str, &str, u64); 8] = [
                ("events_generated", "Events the schedule produced", g.generated),
                ("events_accepted", "Events the stream stored", g.accepted),
                ("events_expired", "Events given up on when their time-to-live ran out", g.expired),
                ("events_rejected", "Events the stream refused outright", g.rejected),
                ("throttled_answers", "Throttling answers, every attempt", g.throttled),
                ("failed_attempts", "Other per-record failures and failed requests", g.failed_attempts),
                ("retries", "Re-sends", g.retries),
                ("late_sends", "Events handed over later than the late threshold", g.late_sends),
            ];
            for (name, help, value) in counters {
                let c = ConstCounter::new(value);
                c.encode(encoder.encode_descriptor(name, help, None, c.metric_type())?)?;
            }
            let gauges: [(&str, &str, Option<Unit>, f64); 6] = [
                (
                    "events_in_flight",
                    "Events generated and not yet settled (buffered, in a request or waiting to retry)",
                    None,
                    in_flight as f64,
                ),
                ("target_rate", "Events per second the profile asks of this process now", None, l.target_rps),
                ("accepted_rate", "Events per second the stream accepted in the last second", None, l.achieved_rps),
                (
                    "stream_backlog_records",
                    "Records stored in the local stream model, not yet processed",
                    None,
                    l.backlog as f64,
                ),
                (
                    "iterator_age",
                    "Largest iterator age in the last second",
                    Some(Unit::Seconds),
                    l.iterator_age_ms / 1000.0,
                ),
                ("elapsed", "Seconds since the load started", Some(Unit::Seconds), l.elapsed_s),
            ];
            for (name, help, unit, value) in gauges {
                let m = ConstGauge::new(value);
                m.encode(encoder.encode_descriptor(name, help, unit.as_ref(), m.metric_type())?)?;
            }
            let running = ConstGauge::new(i64::from(l.running));
            running.encode(encoder.encode_descriptor(
                "load_running",
                "1 while the schedule runs, 0 before and after",
                None,
                running.metric_type(),
            )?)?;
            let histograms = [
                ("put_latency", "Corrected put latency (from each event's due time to the stream's answer)", &l.put),
                ("end_to_end_latency", "From an event's due time to its write in the table", &l.end_to_end),
            ];
            for (name, help, latency) in histograms {
                let (sum, count, buckets) = buckets(latency);
                encoder
                    .encode_descriptor(name, help, Some(&Unit::Seconds), MetricType::Histogram)?
                    .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
            }
            Ok(())
        })
    }
}

/// A latency histogram as Prometheus buckets: the sum in seconds, the count, and each
/// bucket's own count (the encoder makes them cumulative), the last one `+Inf`.
fn buckets(latency: &Latency) -> (f64, u64, Vec<(f64, u64)>) {
    let h = latency.histogram();
    let mut out: Vec<(f64, u64)> = LATENCY_BUCKETS_S.iter().map(|&b| (b, 0)).collect();
    out.push((f64::INFINITY, 0));
    let mut sum_us = 0.0;
    for v in h.iter_recorded() {
        // HdrHistogram keeps 3 significant digits: a value at a bucket's bound counts in it.
        let us = h.lowest_equivalent(v.value_iterated_to());
        let n = v.count_at_value();
        sum_us += h.median_equivalent(v.value_iterated_to()) as f64 * n as f64;
        let s = us as f64 / 1e6;
        let i = out.iter().position(|(b, _)| s <= *b).unwrap_or(out.len() - 1);
        out[i].1 += n;
    }
    (sum_us / 1e6, h.len(), out)
}

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
#[error(
    "--metrics-listen {addr}: cannot listen there ({source}); choose a free port, like --metrics-listen 0.0.0.0:9464"
)]
pub struct ListenError {
    addr: SocketAddr,
    source: std::io::Error,
}

/// Serves `registry` on `addr` until the returned task is aborted (or the process ends);
/// the address it listens on (the port chosen when `addr`'s is 0) comes back with it.
pub async fn serve(
    addr: SocketAddr,
    registry: Registry,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), ListenError> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| ListenError { addr, source })?;
    let local = listener.local_addr().map_err(|source| ListenError { addr, source })?;
    let registry = Arc::new(registry);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let registry = registry.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let registry = registry.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(&req, &registry)) }
                });
                // A scraper that hangs up or stalls only ends its own connection.
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((local, task))
}

/// `GET /metrics`: the figures; anything else is answered with what is there.
fn answer(req: &Request<Incoming>, registry: &Registry) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, content_type: &str, body: String| {
        let mut r = Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = status;
        if let Ok(v) = content_type.parse() {
            r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
        }
        r
    };
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => {
            let mut text = String::new();
            match prometheus_client::encoding::text::encode(&mut text, registry) {
                Ok(()) => reply(StatusCode::OK, CONTENT_TYPE, text),
                Err(_) => {
                    reply(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", "the metrics could not be encoded\n".into())
                }
            }
        }
        (&Method::GET, _) => {
            reply(StatusCode::NOT_FOUND, "text/plain", "loadgen serves its live figures on /metrics\n".into())
        }
        _ => reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "only GET /metrics\n".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_count_every_value_once_and_end_at_infinity() {
        let mut l = Latency::default();
        l.record(Duration::from_micros(500));
        l.record_n(Duration::from_millis(20), 3);
        l.record(Duration::from_secs(120));
        let (sum, count, b) = buckets(&l);
        assert_eq!(count, 5);
        assert_eq!(b.iter().map(|(_, n)| n).sum::<u64>(), 5);
        assert_eq!(b[0], (0.001, 1), "0.5 ms in the 1 ms bucket");
        assert_eq!(b[4], (0.025, 3), "20 ms in the 25 ms bucket");
        assert_eq!(*b.last().unwrap(), (f64::INFINITY, 1), "2 minutes past the last bound");
        assert!((sum - 120.0605).abs() < 0.2, "{sum}");
    }

    #[test]
    fn the_text_names_every_figure_with_its_worker() {
        let live = LiveMetrics::default();
        let mut config = RunConfig::default();
        config.driver.worker = loadgen_engine::load::split::WorkerSplit { index: 1, count: 4 };
        let mut obs = live.observer();
        obs.load_started(&config);
        let mut put = Latency::default();
        put.record_n(Duration::from_millis(3), 10);
        let point =
            TimelinePoint { t: 1.0, target_rps: 250.0, put_histogram: put.to_base64(), ..TimelinePoint::default() };
        let ledger = Ledger { generated: 12, accepted: 10, throttled: 2, retries: 2, ..Ledger::default() };
        obs.second(&point, &ledger);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &live.registry(&config)).unwrap();
        for line in [
            "loadgen_events_generated_total{worker=\"1/4\"} 12",
            "loadgen_events_accepted_total{worker=\"1/4\"} 10",
            "loadgen_throttled_answers_total{worker=\"1/4\"} 2",
            "loadgen_events_in_flight{worker=\"1/4\"} 2",
            "loadgen_target_rate{worker=\"1/4\"} 250",
            "loadgen_load_running{worker=\"1/4\"} 1",
            "loadgen_put_latency_seconds_count{worker=\"1/4\"} 10",
            "loadgen_put_latency_seconds_bucket{worker=\"1/4\",le=\"0.005\"} 10",
            "# EOF",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
