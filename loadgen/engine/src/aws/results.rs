//! Results without a shared disk: `--out s3://bucket/prefix/` uploads a run's files (each
//! worker of a split load under `prefix/worker-I/`), and `loadgen report
//! s3://bucket/prefix/` reads every worker's `result.json` back to merge them.
//!
//! S3 is reached through the standard chain with the target's region, profile and
//! timeouts; `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) points it at an emulator, and
//! then path-style addressing is used (moto_server, MinIO). Each upload is tried three
//! times with a growing pause before the run gives up on it.

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;

use crate::sink::kinesis::KinesisTarget;

/// `s3://bucket/prefix/`: where results go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The key prefix: empty, or ending with `/`.
    pub prefix: String,
}

impl S3Location {
    /// `text` as an S3 location, if it is an `s3://` URL (`Some(Err)` when it is one but
    /// malformed).
    pub fn parse(text: &str) -> Option<Result<Self, String>> {
        let rest = text.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty()
            || !bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        {
            return Some(Err(format!(
                "'{text}' is not an S3 location: write s3://BUCKET/PREFIX/ with a bucket name of lower-case letters, digits, dots and hyphens"
            )));
        }
        let prefix = prefix.trim_matches('/');
        let prefix = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
        Some(Ok(S3Location { bucket: bucket.into(), prefix }))
    }

    /// The location of the folder `name` inside this one.
    pub fn child(&self, name: &str) -> S3Location {
        S3Location { bucket: self.bucket.clone(), prefix: format!("{}{}/", self.prefix, name.trim_matches('/')) }
    }

    /// As a URL.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Why S3 could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// A write failed (after the retries).
    #[error(
        "writing {url} failed: {detail}. Check the bucket, the region and that the identity may s3:PutObject there"
    )]
    Write {
        /// The object.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// Listing or reading failed.
    #[error("reading {url} failed: {detail}. Check the bucket, the region and that the identity may s3:ListBucket and s3:GetObject there")]
    Read {
        /// The location or object.
        url: String,
        /// What went wrong.
        detail: String,
    },
}

/// The S3 client for results at one location.
#[derive(Debug, Clone)]
pub struct ResultsBucket {
    client: aws_sdk_s3::Client,
    location: S3Location,
}

/// How many times an upload is tried.
const ATTEMPTS: u32 = 3;

impl ResultsBucket {
    /// A client for `location` (region, profile and timeouts from `target`).
    pub async fn new(target: &KinesisTarget, location: S3Location) -> Self {
        let sdk = target.sdk_loader(false).load().await;
        let emulated = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"].iter().any(|v| std::env::var_os(v).is_some());
        let config = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(emulated).build();
        Self { client: aws_sdk_s3::Client::from_conf(config), location }
    }

    /// Where it writes.
    pub fn location(&self) -> &S3Location {
        &self.location
    }

    /// Writes and removes a probe object: the results will be writable when the run ends.
    pub async fn check_writable(&self) -> Result<(), ResultsError> {
        let key = format!("{}.loadgen-write-check", self.location.prefix);
        self.put(&key, Vec::new()).await?;
        let _ = self.client.delete_object().bucket(&self.location.bucket).key(&key).send().await;
        Ok(())
    }

    /// Writes each `(name, bytes)` under the location.
    pub async fn put_all(&self, files: &[(String, Vec<u8>)]) -> Result<(), ResultsError> {
        for (name, bytes) in files {
            self.put(&format!("{}{name}", self.location.prefix), bytes.clone()).await?;
        }
        Ok(())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), ResultsError> {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
            let sent = self
                .client
                .put_object()
                .bucket(&self.location.bucket)
                .key(key)
                .body(ByteStream::from(bytes.clone()))
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(()),
                Err(e) => last = crate::aws::sdk_error_sentence(&e),
            }
        }
        Err(ResultsError::Write { url: format!("s3://{}/{key}", self.location.bucket), detail: last })
    }

    /// Every `result.json` one folder below the location (`prefix/NAME/result.json`,
    /// except `merged/`), with the folder's name, in key order.
    pub async fn folder_results(&self) -> Result<Vec<(String, Vec<u8>)>, ResultsError> {
        let read_err = |url: String| move |detail: String| ResultsError::Read { url, detail };
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.location.bucket)
                .prefix(&self.location.prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| crate::aws::sdk_error_sentence(&e))
                .map_err(read_err(self.location.url()))?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                let rest = &key[self.location.prefix.len().min(key.len())..];
                if let Some((folder, "result.json")) = rest.split_once('/') {
                    if folder != "merged" && !folder.is_empty() {
                        keys.push((folder.to_string(), key.to_string()));
                    }
                }
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => break,
            }
        }
        keys.sort();
        let mut out = Vec::with_capacity(keys.len());
        for (folder, key) in keys {
            let url = format!("s3://{}/{key}", self.location.bucket);
            let object = self
                .client
                .get_object()
                .bucket(&self.location.bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| crate::aws::sdk_error_sentence(&e))
                .map_err(read_err(url.clone()))?;
            let bytes = object.body.collect().await.map_err(|e| e.to_string()).map_err(read_err(url))?;
            out.push((folder, bytes.to_vec()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_nest() {
        let l = S3Location::parse("s3://results/loads/sale-day").unwrap().unwrap();
        assert_eq!((l.bucket.as_str(), l.prefix.as_str()), ("results", "loads/sale-day/"));
        assert_eq!(l.child("worker-3").url(), "s3://results/loads/sale-day/worker-3/");
        assert_eq!(S3Location::parse("s3://b").unwrap().unwrap().prefix, "");
        assert!(S3Location::parse("results/x").is_none());
        assert!(S3Location::parse("s3:///x").unwrap().unwrap_err().contains("not an S3 location"));
        assert!(S3Location::parse("s3://Bad_Bucket/x").unwrap().is_err());
    }
}
