//! What the machine's memory allows (ARCHITECTURE.md §3, "untrusted input"): sizes a header or a
//! config declares are compared with these figures before anything of that size is allocated.
//!
//! Linux: /proc/meminfo, capped by the cgroup's limit (cgroup v2 `memory.max`, v1
//! `memory.limit_in_bytes`) when that is lower. Elsewhere the figures are unknown.

use std::sync::OnceLock;

/// The fields of /proc/meminfo and the cgroup limit, read once per process.
struct Reading {
    total: Option<u64>,
    available: Option<u64>,
    cgroup: Option<u64>,
}

fn reading() -> &'static Reading {
    static READING: OnceLock<Reading> = OnceLock::new();
    READING.get_or_init(|| {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        let meminfo = read("/proc/meminfo").unwrap_or_default();
        Reading {
            total: meminfo_field(&meminfo, "MemTotal"),
            available: meminfo_field(&meminfo, "MemAvailable"),
            cgroup: [
                "/sys/fs/cgroup/memory.max",
                "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            ]
            .iter()
            .filter_map(|p| read(p)?.trim().parse::<u64>().ok())
            .min(),
        }
    })
}

/// A field of a /proc/meminfo text (`Name:   1234 kB`), in bytes.
fn meminfo_field(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(name)?.strip_prefix(':')?.trim();
        let kib: u64 = rest
            .strip_suffix("kB")
            .unwrap_or(rest)
            .trim()
            .parse()
            .ok()?;
        Some(kib.saturating_mul(1024))
    })
}

fn capped(v: Option<u64>, cgroup: Option<u64>) -> Option<u64> {
    match (v, cgroup) {
        (Some(v), Some(c)) => Some(v.min(c)),
        (v, c) => v.or(c),
    }
}

/// Bytes of memory the process can ever hold: the physical memory (`MemTotal`), or the cgroup's
/// limit when lower; `u64::MAX` where neither can be read. One input larger than this is refused.
pub fn limit() -> u64 {
    let r = reading();
    capped(r.total, r.cgroup).unwrap_or(u64::MAX)
}

/// Bytes of memory available now, and where the figure comes from: `MemAvailable` (else
/// `MemTotal`) of /proc/meminfo, capped by the cgroup's limit; None where the system does not say.
pub fn available() -> Option<(u64, &'static str)> {
    let r = reading();
    let (v, source) = match (r.available, r.total) {
        (Some(a), _) => (Some(a), "MemAvailable in /proc/meminfo"),
        (None, Some(t)) => (Some(t), "MemTotal in /proc/meminfo"),
        (None, None) => (None, "the cgroup's memory limit"),
    };
    match (v, r.cgroup) {
        (Some(v), Some(c)) if c < v => Some((c, "the cgroup's memory limit")),
        (Some(v), _) => Some((v, source)),
        (None, Some(c)) => Some((c, source)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_fields_are_read_in_bytes() {
        let text = "MemTotal:       24683792 kB\nMemFree:  1 kB\nMemAvailable:   24214716 kB\n";
        assert_eq!(meminfo_field(text, "MemAvailable"), Some(24214716 * 1024));
        assert_eq!(meminfo_field(text, "MemTotal"), Some(24683792 * 1024));
        assert_eq!(meminfo_field("MemTotal: 2 kB\n", "MemTotal"), Some(2048));
        assert_eq!(meminfo_field("nothing", "MemTotal"), None);
        assert_eq!(capped(Some(5), Some(3)), Some(3));
        assert_eq!(capped(None, Some(3)), Some(3));
        assert_eq!(capped(Some(5), None), Some(5));
    }

    #[test]
    fn this_machine_reports_its_memory() {
        assert!(limit() > 1 << 20);
        if cfg!(target_os = "linux") {
            let (a, _) = available().unwrap();
            assert!(a > 0 && a <= limit());
        }
    }
}
