//! When an EHR endpoint's certificate expires, read from the certificate the server
//! presented on the connection (DER): its `notAfter`. Only that one field is read; the
//! certificate was verified by the TLS stack before any byte of the response arrived.

use yasna::{BERReaderSeq, Tag};

const UTC_TIME: u64 = 23;
const GENERALIZED_TIME: u64 = 24;

/// The certificate's not-after (ms since the epoch), or None when it cannot be read.
pub fn not_after_ms(der: &[u8]) -> Option<u64> {
    let time = yasna::parse_der(der, |r| {
        r.read_sequence(|cert| {
            let time = cert.next().read_sequence(|tbs| {
                tbs.read_optional(|r| r.read_tagged(Tag::context(0), |r| r.read_der()))?;
                for _ in 0..3 {
                    // serialNumber, signature algorithm, issuer
                    tbs.next().read_der()?;
                }
                let t = tbs.next().read_sequence(|validity| {
                    validity.next().read_tagged_der()?;
                    validity.next().read_tagged_der()
                })?;
                skip_rest(tbs)?;
                Ok(t)
            })?;
            skip_rest(cert)?;
            Ok(time)
        })
    })
    .ok()?;
    let text = std::str::from_utf8(time.value()).ok()?;
    parse_time(time.tag().tag_number, text)
}

fn skip_rest(r: &mut BERReaderSeq<'_, '_>) -> yasna::ASN1Result<()> {
    while r.read_optional(|r| r.read_der())?.is_some() {}
    Ok(())
}

/// `YYMMDDHHMMSSZ` (UTCTime, years 1950–2049) or `YYYYMMDDHHMMSSZ` (GeneralizedTime).
fn parse_time(tag: u64, text: &str) -> Option<u64> {
    let digits = text.strip_suffix('Z')?;
    let (year, rest) = match (tag, digits.len()) {
        (UTC_TIME, 12) => {
            let yy: i16 = digits[..2].parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &digits[2..])
        }
        (GENERALIZED_TIME, 14) => (digits[..4].parse().ok()?, &digits[4..]),
        _ => return None,
    };
    let n = |i: usize| rest.get(i..i + 2)?.parse::<i8>().ok();
    let dt = jiff::civil::DateTime::new(year, n(0)?, n(2)?, n(4)?, n(6)?, n(8)?, 0).ok()?;
    let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    u64::try_from(ts.as_millisecond()).ok()
}

#[cfg(test)]
mod tests {
    // A certificate made with a chosen not-after reads back that time, for both the
    // UTCTime (before 2050) and the GeneralizedTime (from 2050) encodings.
    #[test]
    fn reads_the_not_after_of_a_real_certificate() {
        for (y, m, d) in [(2027, 3, 14), (2051, 1, 2)] {
            let mut p = rcgen::CertificateParams::new(vec!["ehr.example".into()]).unwrap();
            p.not_after = rcgen::date_time_ymd(y, m, d);
            let key = rcgen::KeyPair::generate().unwrap();
            let cert = p.self_signed(&key).unwrap();
            let expect = jiff::civil::date(y as i16, m as i8, d as i8)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp()
                .as_millisecond() as u64;
            assert_eq!(super::not_after_ms(cert.der()), Some(expect));
        }
        assert_eq!(super::not_after_ms(b"not a certificate"), None);
    }
}
