//! Parsers for the compact command-line specs: durations, rate profiles, user
//! popularity and the event mix. Each error says what was expected, with an example.

use std::time::Duration;

use loadgen_engine::load::generator::EventMix;
use loadgen_engine::load::keys::Popularity;
use loadgen_engine::load::schedule::RateProfile;

/// A duration as the parsers read it and `--help` shows defaults: `5s`, `1m`, `250ms`.
pub fn duration_text(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// The event mix as `--mix` takes it.
pub fn mix_text(m: &EventMix) -> String {
    format!("view={},add_to_cart={},purchase={}", m.view, m.add_to_cart, m.purchase)
}

/// A human duration: `90s`, `10m`, `1h30m`, `250ms`.
/// `--rps`: events per second as people write them: `5000`, `20k`, `1.5M` (k = 1,000,
/// M = 1,000,000). The sign and the range are checked later, with the option's own words.
pub fn rps(s: &str) -> Result<f64, String> {
    with_rate_suffix(s).ok_or_else(|| format!("'{s}' is not a rate: write events per second like 5000, 20k or 1.5M"))
}

fn with_rate_suffix(s: &str) -> Option<f64> {
    let t = s.trim().replace('_', "");
    let (number, factor) = match t.strip_suffix(['k', 'K']) {
        Some(n) => (n, 1e3),
        None => match t.strip_suffix('M') {
            Some(n) => (n, 1e6),
            None => (t.as_str(), 1.0),
        },
    };
    number.trim().parse::<f64>().ok().map(|v| v * factor)
}

/// A size in bytes as people write it: `360`, `1KiB` (1,024), `1KB` or `1kB` (1,000),
/// `1MiB`, `1MB`, with or without a space and a trailing `B`.
pub fn bytes_f64(s: &str) -> Result<f64, String> {
    let t = s.trim().replace('_', "");
    let units: [(&str, f64); 9] = [
        ("KiB", 1024.0),
        ("MiB", 1024.0 * 1024.0),
        ("KB", 1000.0),
        ("kB", 1000.0),
        ("MB", 1e6),
        ("Ki", 1024.0),
        ("Mi", 1024.0 * 1024.0),
        ("k", 1000.0),
        ("B", 1.0),
    ];
    let (number, factor) =
        units.iter().find_map(|(unit, f)| t.strip_suffix(unit).map(|n| (n.trim(), *f))).unwrap_or((t.as_str(), 1.0));
    number
        .parse::<f64>()
        .map(|v| v * factor)
        .map_err(|_| format!("'{s}' is not a size: write bytes like 360, 1KiB (1,024), 1KB (1,000) or 1MiB"))
}

/// A whole number of bytes (see [`bytes_f64`]).
pub fn bytes(s: &str) -> Result<usize, String> {
    let v = bytes_f64(s)?;
    if v < 0.0 {
        // The option's own check words it ("cannot be negative").
        return Err(format!("'{s}' is negative"));
    }
    if v.fract() != 0.0 || !v.is_finite() || v > usize::MAX as f64 {
        return Err(format!("'{s}' is not a whole number of bytes"));
    }
    Ok(v as usize)
}

/// `--worker I/N`: worker `I` (from 0) of `N`.
pub fn worker(s: &str) -> Result<(usize, usize), String> {
    let bad =
        || format!("'{s}' is not a worker: write INDEX/COUNT with the index from 0, e.g. 0/4 for the first of four");
    let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || i >= n {
        return Err(format!("--worker {s}: the index runs from 0 to {} for {n} workers", n.saturating_sub(1)));
    }
    Ok((i, n))
}

/// `--shards`: a count, or `auto` (the shards the capacity plan gives for the load).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shards {
    /// This many shards.
    Count(usize),
    /// As many as the load needs at the target utilisation.
    Auto,
}

/// `--shards 7` or `--shards auto`.
pub fn shards(s: &str) -> Result<Shards, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("auto") {
        return Ok(Shards::Auto);
    }
    s.parse().map(Shards::Count).map_err(|_| {
        format!("'{s}' is not a shard count: write a whole number like 7, or auto for the shards the load needs")
    })
}

/// `--metrics-listen`: `HOST:PORT`, or `:PORT` for every interface.
pub fn listen_addr(s: &str) -> Result<std::net::SocketAddr, String> {
    let s = s.trim();
    let full = if s.starts_with(':') { format!("0.0.0.0{s}") } else { s.to_string() };
    full.parse().map_err(|_| {
        format!("'{s}' is not an address to listen on: write HOST:PORT, like 0.0.0.0:9464 or 127.0.0.1:9464, or :9464")
    })
}

/// `--start-at`: an RFC 3339 time (`2026-12-01T18:00:00Z`) or `+DURATION` from now.
pub fn start_at(s: &str) -> Result<std::time::SystemTime, String> {
    let s = s.trim();
    match s.strip_prefix('+') {
        Some(d) => Ok(std::time::SystemTime::now() + duration(d)?),
        None => humantime::parse_rfc3339_weak(s).map_err(|e| {
            format!("'{s}' is not a start time ({e}): write it in RFC 3339, 2026-12-01T18:00:00Z, or from now, +90s")
        }),
    }
}

pub fn duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("'{s}' is not a duration ({e}); write it like 90s, 10m, 1h30m or 250ms"))
}

/// A share: `0.1` or `10%` (a percent sign means percent, whatever the number).
pub fn parse_share(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (number, scale) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), 100.0),
        None => (t, 1.0),
    };
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=1.0).contains(&(v / scale)) => Ok(v / scale),
        _ => Err(format!("'{s}' is not a share; write it as 0.1 or 10% (from 0 to 1, or 0% to 100%)")),
    }
}

fn rate(s: &str) -> Result<f64, String> {
    // `.5` or `5.` would turn `0...100` into a ramp to 0.1: rates are written out.
    if s.trim().starts_with('.') || s.trim().ends_with('.') {
        return Err(format!("'{s}' is not a rate; write a number of events per second, e.g. 5000"));
    }
    match with_rate_suffix(s) {
        Some(r) if r.is_finite() && r >= 0.0 => Ok(r),
        _ => Err(format!("'{s}' is not a rate; write a number of events per second, e.g. 5000 or 20k")),
    }
}

/// The shape of the rate profile before `--rps` is applied.
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileSpec {
    /// `constant`: `--rps` throughout.
    Constant,
    /// `ramp:FROM..TO[@OVER]`: over the whole run unless `@OVER` is given.
    Ramp {
        /// Start rate.
        from: f64,
        /// End rate.
        to: f64,
        /// Ramp length, if not the whole run.
        over: Option<Duration>,
    },
    /// `steps:R@D,R@D,...`.
    Steps(Vec<(f64, Duration)>),
    /// `spike:PEAK@AT+FOR`, on top of `--rps`.
    Spike {
        /// Rate during the spike.
        peak: f64,
        /// Start of the spike.
        at: Duration,
        /// Length of the spike.
        lasting: Duration,
    },
}

const PROFILE_HELP: &str =
    "expected constant, ramp:FROM..TO[@OVER], steps:RATE@DUR,RATE@DUR,... or spike:PEAK@AT+FOR (e.g. ramp:0..5000@2m, steps:1000@30s,3000@30s, spike:20000@1m+10s)";

/// Parses `--rate-profile`.
pub fn profile(s: &str) -> Result<ProfileSpec, String> {
    let s = s.trim();
    let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
    let bad = |why: String| Err(format!("bad --rate-profile '{s}': {why}; {PROFILE_HELP}"));
    match kind {
        "constant" if rest.is_empty() => Ok(ProfileSpec::Constant),
        "ramp" => {
            let (range, over) = match rest.split_once('@') {
                Some((r, o)) => (r, Some(duration(o)?)),
                None => (rest, None),
            };
            let Some((from, to)) = range.split_once("..") else {
                return bad("a ramp needs FROM..TO".into());
            };
            Ok(ProfileSpec::Ramp { from: rate(from)?, to: rate(to)?, over })
        }
        "steps" => {
            let steps = rest
                .split(',')
                .map(|step| {
                    let (r, d) = step.split_once('@').ok_or_else(|| format!("step '{step}' needs RATE@DURATION"))?;
                    Ok((rate(r)?, duration(d)?))
                })
                .collect::<Result<Vec<_>, String>>();
            match steps {
                Ok(v) if !v.is_empty() => Ok(ProfileSpec::Steps(v)),
                Ok(_) => bad("no steps".into()),
                Err(e) => bad(e),
            }
        }
        "spike" => {
            let parsed = rest.split_once('@').and_then(|(peak, when)| {
                let (at, lasting) = when.split_once('+')?;
                Some((peak, at, lasting))
            });
            let Some((peak, at, lasting)) = parsed else {
                return bad("a spike is PEAK@AT+FOR".into());
            };
            Ok(ProfileSpec::Spike { peak: rate(peak)?, at: duration(at)?, lasting: duration(lasting)? })
        }
        _ => bad(format!("unknown profile '{kind}'")),
    }
}

impl ProfileSpec {
    /// The rate profile, given `--rps` and the run's duration. Contradictions (a rate
    /// given twice, none given) are errors.
    pub fn resolve(&self, rps: Option<f64>, run: Duration) -> Result<RateProfile, String> {
        let rps = rps.map(|r| {
            if r > 0.0 && r.is_finite() {
                Ok(r)
            } else {
                Err(format!("--rps must be a positive number of events per second, not {r}"))
            }
        });
        match self {
            ProfileSpec::Constant => match rps {
                Some(r) => Ok(RateProfile::Constant { rps: r? }),
                None => Err("--rps is required (events per second), e.g. --rps 5000".into()),
            },
            ProfileSpec::Spike { peak, at, lasting } => match rps {
                Some(r) => Ok(RateProfile::Spike { base: r?, peak: *peak, at: *at, lasting: *lasting }),
                None => Err("a spike profile needs --rps for the rate outside the spike".into()),
            },
            ProfileSpec::Ramp { .. } | ProfileSpec::Steps(_) if rps.is_some() => {
                Err("--rps contradicts a ramp or steps profile, which sets its own rates; drop --rps".into())
            }
            ProfileSpec::Ramp { from, to, over } => {
                if *from == 0.0 && *to == 0.0 {
                    return Err("a ramp from 0 to 0 sends nothing".into());
                }
                Ok(RateProfile::Ramp { from: *from, to: *to, over: over.unwrap_or(run) })
            }
            ProfileSpec::Steps(steps) => {
                if steps.iter().all(|(r, _)| *r == 0.0) {
                    return Err("every step has rate 0: nothing would be sent".into());
                }
                Ok(RateProfile::Steps(steps.clone()))
            }
        }
    }
}

/// Parses `--user-popularity`: `uniform`, `zipf`, `zipf:S` or `hot:KEYS:SHARE`.
pub fn popularity(s: &str) -> Result<Popularity, String> {
    let help = "expected uniform, zipf, zipf:EXPONENT or hot:KEYS:SHARE (e.g. zipf:1.2, hot:3:0.4 = 3 users send 40%)";
    let parts: Vec<&str> = s.trim().split(':').collect();
    match parts.as_slice() {
        ["uniform"] => Ok(Popularity::Uniform),
        ["zipf"] => Ok(Popularity::Zipf(1.1)),
        ["zipf", e] => match e.parse::<f64>() {
            Ok(v) if v > 0.0 && v.is_finite() => Ok(Popularity::Zipf(v)),
            _ => Err(format!("bad zipf exponent '{e}'; {help}")),
        },
        ["hot", k, share] => {
            let keys = k.parse::<usize>().ok().filter(|&k| k > 0);
            let share = parse_share(share).ok();
            match (keys, share) {
                (Some(keys), Some(share)) if (0.0..=1.0).contains(&share) => Ok(Popularity::Hot { keys, share }),
                _ => Err(format!("bad hot-key spec '{s}'; {help}")),
            }
        }
        _ => Err(format!("unknown user popularity '{s}'; {help}")),
    }
}

/// Parses `--mix view=70,add_to_cart=20,purchase=10` (weights, any scale).
pub fn mix(s: &str) -> Result<EventMix, String> {
    let mut m = EventMix { view: 0.0, add_to_cart: 0.0, purchase: 0.0 };
    let mut seen: Vec<&str> = Vec::new();
    for part in s.split(',') {
        let (name, weight) = part.split_once('=').ok_or_else(|| {
            format!("bad --mix part '{part}': write name=weight, e.g. view=70,add_to_cart=20,purchase=10")
        })?;
        let w = weight
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|w| *w >= 0.0 && w.is_finite())
            .ok_or_else(|| format!("bad --mix weight '{weight}' for {name}"))?;
        if seen.contains(&name.trim()) {
            return Err(format!("--mix names {} twice; give each event type once", name.trim()));
        }
        seen.push(name.trim());
        match name.trim() {
            "view" => m.view = w,
            "add_to_cart" => m.add_to_cart = w,
            "purchase" => m.purchase = w,
            other => return Err(format!("unknown event type '{other}' in --mix; use view, add_to_cart, purchase")),
        }
    }
    if m.view + m.add_to_cart + m.purchase <= 0.0 {
        return Err("--mix weights are all zero".into());
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_sizes_read_as_people_write_them() {
        assert_eq!(rps("20k"), Ok(20_000.0));
        assert_eq!(rps("1.5M"), Ok(1_500_000.0));
        assert_eq!(rps(" 5000 "), Ok(5000.0));
        assert_eq!(rps("20_000"), Ok(20_000.0));
        assert_eq!(rps("-100"), Ok(-100.0), "the sign is the option's check");
        assert!(rps("fast").unwrap_err().contains("write events per second like 5000, 20k or 1.5M"));
        assert_eq!(
            profile("ramp:0..20k@5m"),
            Ok(ProfileSpec::Ramp { from: 0.0, to: 20_000.0, over: Some(Duration::from_secs(300)) })
        );
        assert_eq!(bytes("1KiB"), Ok(1024));
        assert_eq!(bytes("1 KiB"), Ok(1024));
        assert_eq!(bytes("2KB"), Ok(2000));
        assert_eq!(bytes("1MiB"), Ok(1_048_576));
        assert_eq!(bytes("360"), Ok(360));
        assert_eq!(bytes("360B"), Ok(360));
        assert!(bytes("1.5B").unwrap_err().contains("whole number"));
        assert!(bytes("big").unwrap_err().contains("1KiB (1,024)"));
        assert_eq!(bytes_f64("0.5KiB"), Ok(512.0));
    }

    #[test]
    fn profiles() {
        assert_eq!(profile("constant"), Ok(ProfileSpec::Constant));
        assert_eq!(
            profile("ramp:0..5000@2m"),
            Ok(ProfileSpec::Ramp { from: 0.0, to: 5000.0, over: Some(Duration::from_secs(120)) })
        );
        assert_eq!(
            profile("steps:1000@30s,3000@1m"),
            Ok(ProfileSpec::Steps(vec![(1000.0, Duration::from_secs(30)), (3000.0, Duration::from_secs(60))]))
        );
        assert_eq!(
            profile("spike:20000@1m+10s"),
            Ok(ProfileSpec::Spike { peak: 20000.0, at: Duration::from_secs(60), lasting: Duration::from_secs(10) })
        );
        for bad in ["sawtooth", "ramp:5000", "steps:", "spike:100@1m", "steps:10@forever", "ramp:-1..5"] {
            assert!(profile(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolving_rates() {
        let d = Duration::from_secs(60);
        assert!(ProfileSpec::Constant.resolve(None, d).unwrap_err().contains("--rps is required"));
        assert!(ProfileSpec::Constant.resolve(Some(0.0), d).is_err());
        assert!(ProfileSpec::Constant.resolve(Some(-5.0), d).is_err());
        let ramp = profile("ramp:0..100").unwrap();
        assert!(ramp.resolve(Some(5.0), d).unwrap_err().contains("contradicts"));
        assert_eq!(ramp.resolve(None, d), Ok(RateProfile::Ramp { from: 0.0, to: 100.0, over: d }));
    }

    #[test]
    fn popularity_and_mix() {
        assert_eq!(popularity("hot:3:40%"), Ok(Popularity::Hot { keys: 3, share: 0.4 }));
        assert_eq!(popularity("hot:1:1%"), Ok(Popularity::Hot { keys: 1, share: 0.01 }), "1% is a hundredth");
        assert_eq!(popularity("hot:1:0.5"), Ok(Popularity::Hot { keys: 1, share: 0.5 }));
        assert!(popularity("hot:1:150%").is_err() && popularity("hot:1:2").is_err());
        assert!(mix("view=1,view=2").unwrap_err().contains("twice"));
        assert!(profile("ramp:0...100").is_err(), "not a ramp to 0.1");
        assert_eq!(popularity("zipf:1.3"), Ok(Popularity::Zipf(1.3)));
        assert!(popularity("pareto").is_err());
        let m = mix("view=1,purchase=1").unwrap();
        assert_eq!((m.view, m.add_to_cart, m.purchase), (1.0, 0.0, 1.0));
        assert!(mix("click=5").is_err());
        assert!(duration("10 parsecs").is_err());
        assert_eq!(duration("1h30m"), Ok(Duration::from_secs(5400)));
    }
}
