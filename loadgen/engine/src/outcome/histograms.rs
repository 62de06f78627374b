//! A result's histograms, decoded from the base64 HdrHistograms `result.json` keeps.

use crate::measure::{Latency, Stage};
use crate::outcome::result::RunResult;

/// A histogram in a result is not a serialised HdrHistogram (the file was edited or cut
/// short).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_label}: histogram '{name}' is not a valid base64 HdrHistogram; regenerate the result with loadgen")]
pub struct HistogramError {
    /// The run it came from.
    pub source_label: String,
    /// The histogram's name.
    pub name: String,
}

/// The histograms of a result, decoded.
#[derive(Debug, Clone, Default)]
pub struct Histograms {
    /// Put latency from the intended send time.
    pub put_corrected: Latency,
    /// Put latency from the actual send.
    pub put_uncorrected: Latency,
    /// PutRecords call duration.
    pub service_time: Latency,
    /// Intended send time to `processedAt`, when the pipeline was observed.
    pub end_to_end: Option<Latency>,
    /// Function invocation duration (local pipeline).
    pub invocation: Option<Latency>,
    /// The stages measured beside the corrected put latency, in pipeline order.
    pub stages: Vec<(Stage, Latency)>,
}

impl Histograms {
    /// Decodes the histograms of `r`; `label` names the run in errors.
    pub fn decode(r: &RunResult, label: &str) -> Result<Self, HistogramError> {
        let get = |name: &str| -> Result<Option<Latency>, HistogramError> {
            match r.histograms.get(name) {
                None => Ok(None),
                Some(text) => Latency::from_base64(text)
                    .map(Some)
                    .ok_or_else(|| HistogramError { source_label: label.to_string(), name: name.to_string() }),
            }
        };
        Ok(Self {
            put_corrected: get("put_corrected")?.unwrap_or_default(),
            put_uncorrected: get("put_uncorrected")?.unwrap_or_default(),
            service_time: get("service_time")?.unwrap_or_default(),
            end_to_end: get("end_to_end")?.filter(|h| !h.is_empty()),
            invocation: get("invocation")?.filter(|h| !h.is_empty()),
            stages: Stage::ALL
                .iter()
                .filter(|s| **s != Stage::SendToAccepted)
                .filter_map(|&s| get(s.histogram_name()).transpose().map(|h| h.map(|h| (s, h))))
                .collect::<Result<_, _>>()?,
        })
    }

    /// The encoded form `result.json` keeps, by name.
    pub fn encode(&self) -> std::collections::BTreeMap<String, String> {
        let mut m = std::collections::BTreeMap::new();
        m.insert("put_corrected".to_string(), self.put_corrected.to_base64());
        m.insert("put_uncorrected".to_string(), self.put_uncorrected.to_base64());
        m.insert("service_time".to_string(), self.service_time.to_base64());
        if let Some(h) = &self.end_to_end {
            m.insert("end_to_end".to_string(), h.to_base64());
        }
        if let Some(h) = &self.invocation {
            m.insert("invocation".to_string(), h.to_base64());
        }
        for (stage, h) in &self.stages {
            m.insert(stage.histogram_name().to_string(), h.to_base64());
        }
        m
    }

    /// The stages' percentiles: send → accepted (the corrected put latency), then the
    /// measured ones.
    pub fn stage_latencies(&self) -> Vec<crate::outcome::result::StageLatency> {
        use crate::outcome::result::StageLatency;
        let mut v = Vec::with_capacity(1 + self.stages.len());
        if !self.put_corrected.is_empty() {
            v.push(StageLatency { stage: Stage::SendToAccepted, latency: self.put_corrected.percentiles() });
        }
        v.extend(self.stages.iter().map(|(stage, h)| StageLatency { stage: *stage, latency: h.percentiles() }));
        v
    }
}
