//! Rubric's division: the one definition of `a / b` (and of `mean`, `top_share` and
//! `cumulative_share`, which are quotients too), shared by the evaluator and the checker's
//! analysis so that both compute the value `rubric sql` computes.
//!
//! A quotient is the exact quotient rounded half away from zero to [`DIV_PLACES`] (16) decimal
//! places. The rounding is done once, from the exact quotient: no intermediate quotient with
//! more places is rounded again (that would turn `0.xxx…x4999…95` rounded to 28 digits into a
//! tie at the 17th place and round it the wrong way).
//!
//! A decimal holds at most 28–29 significant digits (a 96-bit mantissa), so from about
//! 7.9 × 10¹² upwards 16 places do not fit: the quotient then keeps as many places as fit, still
//! rounded half away from zero once from the exact quotient. Only a quotient whose integer part
//! does not fit is an overflow.

use rust_decimal::Decimal;

/// The places a quotient is rounded to, half away from zero.
pub const DIV_PLACES: u32 = 16;

/// One more than the largest mantissa a `Decimal` holds (96 bits).
const LIMIT: u128 = 1 << 96;

/// `a / b`: the exact quotient rounded half away from zero to [`DIV_PLACES`] places, or to as
/// many places as fit when the quotient is 7.9 × 10¹² or more. `None` when `b` is zero (callers
/// give missing before asking) or when the integer part of the quotient does not fit in a
/// decimal (an overflow). The result has no trailing zeros: `1 / 4` is `0.25`, `6 / 3` is `2`.
pub fn div(a: Decimal, b: Decimal) -> Option<Decimal> {
    if b.is_zero() {
        return None;
    }
    let (n, d) = (a.mantissa().unsigned_abs(), b.mantissa().unsigned_abs());
    if n == 0 {
        return Some(Decimal::ZERO);
    }
    let negative = (a.mantissa() < 0) != (b.mantissa() < 0);
    // a / b = (n / d) * 10^(scale(b) - scale(a)); at `t` places the mantissa is
    // round(n * 10^(t + scale(b) - scale(a)) / d). The most places that fit win.
    let shift = i64::from(b.scale()) - i64::from(a.scale());
    for t in (0..=DIV_PLACES).rev() {
        if let Some(m) = scaled_quotient(n, d, i64::from(t) + shift) {
            if m == 0 {
                return Some(Decimal::ZERO);
            }
            let m = i128::try_from(m).ok()?;
            let m = if negative { -m } else { m };
            return Decimal::try_from_i128_with_scale(m, t)
                .ok()
                .map(|q| q.normalize());
        }
    }
    None
}

/// `round(n * 10^e / d)`, half away from zero (all operands are magnitudes), when it is below
/// 2^96; `None` when it is not. `n` and `d` are below 2^96 and `d` is not zero.
fn scaled_quotient(n: u128, d: u128, e: i64) -> Option<u128> {
    let (floor, up) = if e >= 0 {
        let e = u32::try_from(e).ok()?;
        match 10u128.checked_pow(e).and_then(|p| n.checked_mul(p)) {
            // the common case: n * 10^e fits in 128 bits
            Some(x) => {
                let q = x / d;
                (q, 2 * (x - q * d) >= d)
            }
            None => {
                // long division, up to 9 digits a step: the remainder is below d < 2^96, so
                // remainder * 10^9 < 2^126, and the quotient so far is below 2^96, so
                // quotient * 10^9 + digits < 2^127
                let (mut q, mut r) = (n / d, n % d);
                let mut left = e;
                while left > 0 {
                    if q >= LIMIT {
                        return None;
                    }
                    let k = left.min(9);
                    let p = 10u128.pow(k);
                    let x = r * p;
                    q = q * p + x / d;
                    r = x % d;
                    left -= k;
                }
                (q, 2 * r >= d)
            }
        }
    } else {
        // n / (d * 10^k) = floor(n / d) / 10^k: with n = q1 d + r1 and q1 = f 10^k + r2, the
        // remainder is r2 d + r1, against the divisor d 10^k. 10^k is even, so 2 r2 < 10^k means
        // 2 r2 + 2 <= 10^k, and 2 (r2 d + r1) < (2 r2 + 2) d <= 10^k d: the remainder is below
        // half exactly when 2 r2 < 10^k.
        let k = u32::try_from(-e).ok()?;
        let q1 = n / d;
        match 10u128.checked_pow(k) {
            Some(p) => (q1 / p, 2 * (q1 % p) >= p),
            // 10^k > 2^128 > q1: the quotient is below a half
            None => (0, false),
        }
    };
    let m = floor + u128::from(up);
    (m < LIMIT).then_some(m)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal::RoundingStrategy;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn q(a: &str, b: &str) -> String {
        div(dec(a), dec(b)).map_or("overflow".into(), |d| d.to_string())
    }

    #[test]
    fn terminating_quotients_keep_their_short_form() {
        assert_eq!(q("1", "4"), "0.25");
        assert_eq!(q("7", "2"), "3.5");
        assert_eq!(q("6", "3"), "2");
        assert_eq!(q("19", "20"), "0.95");
        assert_eq!(q("250", "500"), "0.5");
        assert_eq!(q("2.50", "1"), "2.5");
        assert_eq!(q("100", "0.01"), "10000");
        assert_eq!(q("1", "1024"), "0.0009765625");
        // 1/2^16 has exactly 16 places
        assert_eq!(q("1", "65536"), "0.0000152587890625");
        assert_eq!(div(dec("1"), dec("4")).unwrap().scale(), 2);
    }

    #[test]
    fn quotients_round_to_16_places() {
        assert_eq!(q("1", "3"), "0.3333333333333333");
        assert_eq!(q("2", "3"), "0.6666666666666667");
        assert_eq!(q("10", "7"), "1.4285714285714286");
        assert_eq!(q("1", "7"), "0.1428571428571429");
        assert_eq!(q("22", "7"), "3.1428571428571429");
        // 1/2^17 = 0.00000762939453125: a tie at the 17th place goes away from zero
        assert_eq!(q("1", "131072"), "0.0000076293945313");
        assert_eq!(q("3", "131072"), "0.0000228881835938");
    }

    #[test]
    fn signs_round_half_away_from_zero() {
        assert_eq!(q("-2", "3"), "-0.6666666666666667");
        assert_eq!(q("2", "-3"), "-0.6666666666666667");
        assert_eq!(q("-2", "-3"), "0.6666666666666667");
        assert_eq!(q("-1", "3"), "-0.3333333333333333");
        assert_eq!(q("-7", "2"), "-3.5");
        assert_eq!(q("-1", "131072"), "-0.0000076293945313");
        assert_eq!(q("3", "-131072"), "-0.0000228881835938");
        assert_eq!(q("-3", "-131072"), "0.0000228881835938");
        // 0.0000000000000001 / 2 = 5e-17: a tie at the 17th place
        assert_eq!(q("0.0000000000000001", "2"), "0.0000000000000001");
        assert_eq!(q("-0.0000000000000001", "2"), "-0.0000000000000001");
        assert_eq!(q("0.0000000000000001", "-2"), "-0.0000000000000001");
        // below the tie: zero, and zero has no sign
        assert_eq!(q("0.0000000000000001", "3"), "0");
        assert_eq!(q("-0.0000000000000001", "3"), "0");
        assert_eq!(q("0", "-3"), "0");
        assert_eq!(q("-0.000", "7"), "0");
        assert!(!div(dec("-1"), dec("1000000000000000000"))
            .unwrap()
            .is_sign_negative());
    }

    #[test]
    fn no_double_rounding() {
        // 1 / (2 * 10^16 + 1) = 0.0000000000000000499999999999999975…: just below the tie
        assert_eq!(q("1", "20000000000000001"), "0");
        // rust_decimal's 28-place quotient is 0.0000000000000000500000000000, a tie, which a
        // second rounding to 16 places would carry up
        let r28 = Decimal::ONE.checked_div(dec("20000000000000001")).unwrap();
        assert_eq!(
            r28.round_dp_with_strategy(16, RoundingStrategy::MidpointAwayFromZero)
                .to_string(),
            "0.0000000000000001"
        );
        assert_eq!(q("-1", "20000000000000001"), "0");
        // just above the tie
        assert_eq!(q("1", "19999999999999999"), "0.0000000000000001");
        assert_eq!(q("-1", "19999999999999999"), "-0.0000000000000001");
        // with an integer part: 7 / 2.00000000000000003 = 3.49999999999999994750…
        assert_eq!(q("7", "2.00000000000000003"), "3.4999999999999999");
        assert_eq!(
            q("1234567", "3.0000000000000001"),
            "411522.3333333333196159"
        );
    }

    #[test]
    fn every_scale_of_dividend_and_divisor() {
        // 1 / 3 with the operands written at every scale
        for s in 0..=28u32 {
            let one = Decimal::from_i128_with_scale(10i128.pow(s), s);
            let t = s.min(27);
            let three = Decimal::from_i128_with_scale(3 * 10i128.pow(t), t);
            assert_eq!(
                div(one, dec("3")).unwrap().to_string(),
                "0.3333333333333333"
            );
            assert_eq!(
                div(dec("1"), three).unwrap().to_string(),
                "0.3333333333333333"
            );
            assert_eq!(div(one, three).unwrap().to_string(), "0.3333333333333333");
            assert_eq!(div(-one, three).unwrap().to_string(), "-0.3333333333333333");
        }
        // the smallest positive decimal
        let tiny = Decimal::from_i128_with_scale(1, 28);
        assert_eq!(div(tiny, dec("1")).unwrap().to_string(), "0");
        assert_eq!(div(tiny, tiny).unwrap().to_string(), "1");
        assert_eq!(
            div(dec("1"), tiny).unwrap().to_string(),
            "10000000000000000000000000000"
        );
        assert_eq!(
            div(tiny, dec("0.000000000001")).unwrap().to_string(),
            "0.0000000000000001"
        );
        let at = |m: i128, s: u32| div(Decimal::from_i128_with_scale(m, s), Decimal::ONE);
        assert_eq!(at(5, 17).unwrap().to_string(), "0.0000000000000001");
        assert_eq!(at(-5, 17).unwrap().to_string(), "-0.0000000000000001");
        assert_eq!(at(49999, 21).unwrap().to_string(), "0");
        assert_eq!(at(50000, 21).unwrap().to_string(), "0.0000000000000001");
        // 29 digits at 28 places
        assert_eq!(
            q("7.9228162514264337593543950335", "3"),
            "2.6409387504754779"
        );
    }

    #[test]
    fn large_quotients_keep_the_places_that_fit() {
        // 16 places fit below 2^96 / 10^16 = 7922816251426.43…
        assert_eq!(q("7922816251426", "3"), "2640938750475.3333333333333333");
        assert_eq!(q("10000000000000", "3"), "3333333333333.3333333333333333");
        assert_eq!(q("20000000000000", "3"), "6666666666666.6666666666666667");
        // 14 digits before the point: 16 places would need a mantissa above 2^96, 15 fit
        assert_eq!(q("100000000000000", "3"), "33333333333333.333333333333333");
        assert_eq!(q("200000000000000", "3"), "66666666666666.666666666666667");
        assert_eq!(
            q("-200000000000000", "3"),
            "-66666666666666.666666666666667"
        );
        assert_eq!(q("8000000000001", "2"), "4000000000000.5");
        assert_eq!(q("16000000000001", "2"), "8000000000000.5");
        assert_eq!(q("8000000000000", "1"), "8000000000000");
        // 21 digits before the point leave 8 places
        assert_eq!(
            q("100000000000000000000", "7"),
            "14285714285714285714.285714286"
        );
        assert_eq!(
            q("20000000000000000000000000001", "200"),
            "100000000000000000000000000.01"
        );
        // the largest decimal: halved, no place fits and the tie goes away from zero
        let max = "79228162514264337593543950335";
        assert_eq!(q(max, "1"), max);
        assert_eq!(q(max, "-1"), format!("-{max}"));
        assert_eq!(q(max, "2"), "39614081257132168796771975168");
        assert_eq!(q(max, "-2"), "-39614081257132168796771975168");
        // an integer part that does not fit is an overflow
        assert_eq!(q(max, "0.5"), "overflow");
        assert_eq!(q(max, "0.9"), "overflow");
        assert_eq!(
            q("1", "0.0000000000000000000000000001"),
            "10000000000000000000000000000"
        );
        assert_eq!(q("10", "0.0000000000000000000000000001"), "overflow");
    }

    #[test]
    fn division_by_zero_is_none() {
        assert_eq!(div(dec("1"), Decimal::ZERO), None);
        assert_eq!(div(dec("0"), dec("0.00")), None);
    }

    /// Operands of every scale and size against quotients computed by Python's `decimal` with
    /// 300 digits of precision, rounded once (ROUND_HALF_UP, which is half away from zero).
    #[test]
    fn agrees_with_an_exact_reference() {
        let table = [
            ("0.00085173944050", "0.8169084623", "0.0010426375534193"),
            (
                "-0.00000000007954048429253",
                "0.00575",
                "-0.0000000138331277",
            ),
            (
                "0.013261172026829578971482",
                "0.000366854376",
                "36.1483272229784686",
            ),
            (
                "-3257764.5511090963288835062466",
                "0.0005",
                "-6515529102.2181926577670125",
            ),
            ("0.004", "0.00000000000000010", "40000000000000"),
            ("0.0000000000009", "1621.04354", "0.0000000000000006"),
            (
                "0.00000000000000791221472",
                "3203585228733859353832516.761",
                "0",
            ),
            (
                "0.00000000000742366481945",
                "-0.000000000000000949660072385",
                "-7817.1811528371651453",
            ),
            ("0.00000006747300", "0.000000001046", "64.505736137667304"),
            (
                "-0.00000348654238",
                "0.00000000009032614456",
                "-38599.4818774096030121",
            ),
            (
                "0.276681065679",
                "-0.000000000007355061",
                "-37617779876.8766159791196837",
            ),
            (
                "0.000000000160412589095804977",
                "-0.0000000000000000000788",
                "-2035692755.0229057994923858",
            ),
            ("0.00009", "-0.00000000000003", "-3000000000"),
            ("0.000063035", "-59498.57", "-0.0000000010594372"),
            ("0.0084", "249792941.21568709", "0.0000000000336279"),
            ("-24727.40418", "752.71", "-32.851170012355356"),
            (
                "0.00000000000000000007",
                "0.0000000000000000000000000910",
                "769230.7692307692307692",
            ),
            (
                "43828242.599",
                "0.025330012821665735563",
                "1730289001.7296799803021617",
            ),
            (
                "7095551495051785.24405215130",
                "-547528.5",
                "-12959236816.0776749412170349",
            ),
            ("0.000000000000000084", "-0.32", "-0.0000000000000003"),
            (
                "50434787604679680067078",
                "0.0000000000000060166352040",
                "overflow",
            ),
            (
                "0.000000970514",
                "0.00000000000084",
                "1155373.8095238095238095",
            ),
            ("0.00000000386", "0.00341440675", "0.0000011305038569"),
            (
                "25033692575889",
                "906935351.0257304948169820",
                "27602.5105290870658166",
            ),
            ("-0.000000024", "-2334637474563947421368380685", "0"),
            ("-0.0094089", "-0.0000001317949", "71390.4711032065732437"),
            ("-0.0000000000000914222", "0.2", "-0.0000000000004571"),
            ("-28.177309", "-17416.836686", "0.0016178201304861"),
            (
                "0.000000097607720",
                "0.00000000728746",
                "13.3939287488370434",
            ),
            (
                "-0.66",
                "0.00000000000000023913",
                "-2760005018190942.1653493915443",
            ),
            (
                "321.0777163877",
                "-0.000000000000000001",
                "-321077716387700000000",
            ),
            ("61.555409770091864", "92.07169851", "0.6685595114051933"),
            (
                "994141.91580",
                "0.00000000997369294",
                "99676410912245.30920840640999",
            ),
            (
                "0.00000388934379861",
                "-0.0000000000000000030042940584",
                "-1294594910819.5327115586189784",
            ),
            (
                "-977766699682342652280186609",
                "-0.000408283472996",
                "overflow",
            ),
            (
                "0.0000000000000711733794056677",
                "0.00000000000002721",
                "2.6157067036261558",
            ),
            (
                "0.0000000000000000000075097311",
                "0.000000000000000000004806",
                "1.5625740948813983",
            ),
            (
                "92",
                "-0.000000000000000082676",
                "-1112777589626977599.3033044656",
            ),
            ("41.6", "0.00000000000291", "14295532646048.109965635738832"),
            (
                "-0.0000000003683160108365422545",
                "0.000000000000000000006375064",
                "-57774480512.9081456280282049",
            ),
        ];
        for (a, b, want) in table {
            assert_eq!(q(a, b), want, "{a} / {b}");
            assert_eq!(q(&format!("-{a}").replace("--", ""), b), {
                match want {
                    "overflow" | "0" => want.to_string(),
                    w => match w.strip_prefix('-') {
                        Some(pos) => pos.to_string(),
                        None => format!("-{w}"),
                    },
                }
            });
        }
    }
}
