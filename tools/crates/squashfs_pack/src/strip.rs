//! Strip patterns, the same language as the Starlark side's: '/'-separated,
//! `*` matches exactly one path component, and a pattern matching a path's
//! leading components removes the path and everything below it.

/// Whether any of `patterns` removes `path` (relative, '/'-separated).
pub fn matches(patterns: &[String], path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    patterns.iter().any(|pattern| {
        let pat: Vec<&str> = pattern.split('/').collect();
        pat.len() <= parts.len() && pat.iter().zip(&parts).all(|(p, c)| *p == "*" || p == c)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p = vec!["usr/share/doc".to_string(), "usr/lib/*/gconv".to_string()];
        assert!(matches(&p, "usr/share/doc"));
        assert!(matches(&p, "usr/share/doc/libc6/copyright"));
        assert!(matches(&p, "usr/lib/x86_64-linux-gnu/gconv/UTF-16.so"));
        assert!(!matches(&p, "usr/share"));
        assert!(!matches(&p, "usr/share/docs"));
        assert!(!matches(&p, "usr/lib/gconv"));
        assert!(!matches(&[], "anything"));
    }
}
