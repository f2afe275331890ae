//! dpkg's version ordering: `[epoch:]upstream[-revision]`, where `~` sorts
//! before everything (even the end of the string), letters before other
//! characters, and digit runs compare as numbers.

use std::cmp::Ordering;

fn split(version: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match version.split_once(':') {
        Some((e, r)) if e.bytes().all(|b| b.is_ascii_digit()) && !e.is_empty() => {
            (e.parse().unwrap_or(u64::MAX), r)
        }
        _ => (0, version),
    };
    match rest.rsplit_once('-') {
        Some((upstream, revision)) => (epoch, upstream, revision),
        None => (epoch, rest, ""),
    }
}

fn order(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(c) => c as i32 + 256,
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // The non-digit prefix, character by character.
        loop {
            let ca = a.first().copied().filter(|c| !c.is_ascii_digit());
            let cb = b.first().copied().filter(|c| !c.is_ascii_digit());
            if ca.is_none() && cb.is_none() {
                break;
            }
            match order(ca).cmp(&order(cb)) {
                Ordering::Equal => {
                    a = &a[1..];
                    b = &b[1..];
                }
                other => return other,
            }
        }
        // The digit run, as a number (leading zeros ignored).
        let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
        let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let na = std::str::from_utf8(&a[..da])
            .unwrap_or("0")
            .trim_start_matches('0');
        let nb = std::str::from_utf8(&b[..db])
            .unwrap_or("0")
            .trim_start_matches('0');
        match na.len().cmp(&nb.len()).then_with(|| na.cmp(nb)) {
            Ordering::Equal => {
                a = &a[da..];
                b = &b[db..];
            }
            other => return other,
        }
    }
    Ordering::Equal
}

/// Compares two Debian versions as dpkg does.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| compare_part(ua, ub))
        .then_with(|| compare_part(ra, rb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn dpkg_ordering() {
        for (a, b, want) in [
            ("2.35-0ubuntu3", "2.35-0ubuntu3", Equal),
            ("2.35-0ubuntu3", "2.35-0ubuntu3.1", Less),
            ("2.35-0ubuntu3.9", "2.35-0ubuntu3.10", Less),
            ("2.36-9+deb12u4", "2.36-9+deb12u10", Less),
            ("1.0~rc1-1", "1.0-1", Less),
            ("1.0-1", "1.0+b1-1", Less),
            ("1:1.2.11.dfsg-2ubuntu9", "1.3-1", Greater),
            ("10-20200411-0ubuntu1", "9.4-1", Greater),
            ("1.0a", "1.0-", Greater),
            ("1.001", "1.1", Equal),
            ("1.0~", "1.0", Less),
        ] {
            assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
        }
    }
}
