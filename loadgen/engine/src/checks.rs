//! How every configuration says what is wrong: a [`ConfigError`] naming the option the
//! way the command line spells it, and the range checks that build one.

use std::fmt::Display;
use std::ops::RangeInclusive;

/// A configuration that cannot run: which option is wrong, and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// The option, as the command line spells it without dashes (`batch-size`).
    pub option: &'static str,
    /// The whole sentence: what is wrong and what to write instead.
    pub message: String,
}

impl ConfigError {
    /// An error about `option`.
    pub fn new(option: &'static str, message: impl Into<String>) -> Self {
        Self { option, message: message.into() }
    }
}

/// `Ok` when `ok`, else a [`ConfigError`] about `option` with `message`.
pub fn check(ok: bool, option: &'static str, message: impl FnOnce() -> String) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::new(option, message()))
    }
}

/// `Ok` when `value` is in `range`; else "--OPTION must be LO–HI (WHY), not VALUE".
pub fn check_range<T: PartialOrd + Display>(
    option: &'static str,
    value: T,
    range: RangeInclusive<T>,
    why: &str,
) -> Result<(), ConfigError> {
    let why = if why.is_empty() { String::new() } else { format!(" ({why})") };
    check(range.contains(&value), option, || {
        format!("--{option} must be {}–{}{why}, not {value}", range.start(), range.end())
    })
}
