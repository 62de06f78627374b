//! The function's configuration, read from its environment at init.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `TABLE_NAME` | the events table | required |
//! | `DLQ_URL` | the dead-letter queue URL | required |
//! | `RETRY_BUDGET_MS` | longest time one invocation spends retrying writes | 20000 |
//! | `WRITE_CONCURRENCY` | `BatchWriteItem` calls in flight at once (1–64) | 8 |
//! | `MAX_ATTEMPTS` | calls per chunk at most, the first included (1–100) | 10 |
//! | `ITEM_TTL_DAYS` | days before DynamoDB's TTL removes an item (1–3650) | 7 |
//!
//! Every problem is reported at once, so a misconfigured deployment fails its first
//! init with the complete list rather than one variable per deploy.

use std::time::Duration;

use crate::processor::ProcessorConfig;
use crate::retry::RetryPolicy;

/// The function's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `TABLE_NAME`.
    pub table_name: String,
    /// `DLQ_URL`.
    pub dlq_url: String,
    /// `RETRY_BUDGET_MS`, further capped by each invocation's remaining time.
    pub retry_budget: Duration,
    /// Everything the processor needs.
    pub processor: ProcessorConfig,
}

/// The environment is missing a setting or holds one that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid function configuration: {}. Set these environment variables on the function (the infra templates do)", .problems.join("; "))]
pub struct ConfigError {
    /// One sentence per problem.
    pub problems: Vec<String>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let mut required = |name: &str| match lookup(name).filter(|v| !v.trim().is_empty()) {
            Some(v) => v,
            None => {
                problems.push(format!("{name} is not set"));
                String::new()
            }
        };
        let table_name = required("TABLE_NAME");
        let dlq_url = required("DLQ_URL");
        let mut number = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| -> u64 {
            match lookup(name) {
                None => default,
                Some(raw) => match raw.trim().parse::<u64>() {
                    Ok(v) if range.contains(&v) => v,
                    _ => {
                        problems.push(format!(
                            "{name}={raw:?} is not a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ));
                        default
                    }
                },
            }
        };
        let retry_budget_ms = number("RETRY_BUDGET_MS", 20_000, 0..=900_000);
        let write_concurrency = number("WRITE_CONCURRENCY", 8, 1..=64);
        let max_attempts = number("MAX_ATTEMPTS", 10, 1..=100);
        let ttl_days = number("ITEM_TTL_DAYS", 7, 1..=3650);
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Config {
            table_name,
            dlq_url,
            retry_budget: Duration::from_millis(retry_budget_ms),
            processor: ProcessorConfig {
                retry: RetryPolicy { max_attempts: max_attempts as u32, ..RetryPolicy::default() },
                write_concurrency: write_concurrency as usize,
                item_ttl: Duration::from_secs(ttl_days * 86_400),
                ..ProcessorConfig::default()
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_apply() {
        let c = cfg(&[("TABLE_NAME", "t"), ("DLQ_URL", "http://q")]).unwrap();
        assert_eq!(c.retry_budget, Duration::from_secs(20));
        assert_eq!(c.processor.write_concurrency, 8);
        assert_eq!(c.processor.item_ttl, Duration::from_secs(7 * 86_400));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let e = cfg(&[("WRITE_CONCURRENCY", "0"), ("RETRY_BUDGET_MS", "soon")]).unwrap_err();
        let text = e.to_string();
        for needle in
            ["TABLE_NAME is not set", "DLQ_URL is not set", "WRITE_CONCURRENCY=\"0\"", "RETRY_BUDGET_MS=\"soon\""]
        {
            assert!(text.contains(needle), "{text}");
        }
        assert_eq!(e.problems.len(), 4);
    }
}
