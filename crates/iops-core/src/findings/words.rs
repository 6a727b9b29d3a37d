//! Numbers as a finding's text writes them: counts with thousands
//! separators, bytes in powers of two named as such (KiB, MiB, GiB), shares
//! as whole percents, times in seconds or milliseconds.

/// 20034 → "20,034".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 write", "2 writes" (`noun` is the singular; its plural adds "s").
pub fn counted(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", count(n), if n == 1 { "" } else { "s" })
}

/// Bytes: "512 B" below 1 KiB, else three significant digits in the
/// largest power of 1024 that keeps the number at least 1 ("4.09 KiB",
/// "200 MiB"), trailing zeros dropped ("1 KiB").
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n.max(0.0);
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        return format!("{} B", v.round() as u64);
    }
    // Three significant digits, rounded as shown ("1023.9 KiB" is "1020 KiB").
    let decimals = if v >= 100.0 { 0 } else if v >= 10.0 { 1 } else { 2 };
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    format!("{text} {}", UNITS[unit])
}

/// `part` of `whole` as a whole percent ("40%"); "0%" of nothing.
pub fn percent(part: f64, whole: f64) -> String {
    let p = if whole > 0.0 { 100.0 * part / whole } else { 0.0 };
    format!("{}%", p.round() as u64)
}

/// Seconds: "0.655 s", "12.3 s"; under a tenth, in milliseconds ("4.2 ms").
pub fn seconds(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 0.1 {
        format!("{s:.3} s")
    } else {
        let ms = s * 1e3;
        if ms >= 1.0 {
            format!("{ms:.1} ms")
        } else {
            format!("{:.0} µs", ms * 1e3)
        }
    }
}

/// A ratio with one decimal, trailing ".0" dropped ("2.5", "2"); from a
/// thousand on, whole and with separators ("1,000").
pub fn ratio(x: f64) -> String {
    if x >= 999.95 {
        return count(x.round() as u64);
    }
    let t = format!("{x:.1}");
    t.strip_suffix(".0").map(str::to_owned).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!([count(0), count(999), count(1000), count(20034), count(1234567)], ["0", "999", "1,000", "20,034", "1,234,567"]);
        assert_eq!([counted(1, "write"), counted(2, "write"), counted(1000, "fsync")], ["1 write", "2 writes", "1,000 fsyncs"]);
        assert_eq!(
            [bytes(0.0), bytes(512.0), bytes(1023.0), bytes(1024.0), bytes(4189.0), bytes(200.0 * 1048576.0), bytes(1536.0)],
            ["0 B", "512 B", "1023 B", "1 KiB", "4.09 KiB", "200 MiB", "1.5 KiB"]
        );
        assert_eq!([percent(1.0, 3.0), percent(2.0, 3.0), percent(5.0, 0.0)], ["33%", "67%", "0%"]);
        assert_eq!([seconds(0.655), seconds(12.34), seconds(0.0042), seconds(0.00004)], ["0.655 s", "12.3 s", "4.2 ms", "40 µs"]);
        assert_eq!([ratio(2.5), ratio(2.0), ratio(2.04), ratio(999.9), ratio(1000.0), ratio(20034.4)], ["2.5", "2", "2", "999.9", "1,000", "20,034"]);
    }
}
