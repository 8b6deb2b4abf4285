//! Number literals that end in `万` (×10⁴) or `亿` (×10⁸), LANGUAGE.md §8: `5万` is 50000 and
//! `1.5亿` is 150000000, exactly. The formatter keeps them as written (it copies literals), and
//! every later phase sees only the value.

use crate::Decimal;

/// The digits of a literal and the power of ten its suffix multiplies them by.
pub fn split_multiplier(text: &str) -> (&str, u32) {
    if let Some(d) = text.strip_suffix('万') {
        (d, 4)
    } else if let Some(d) = text.strip_suffix('亿') {
        (d, 8)
    } else {
        (text, 0)
    }
}

/// `d × 10^places`, exactly: places are taken from the scale first (`1.5` × 10⁴ is 15000 with no
/// places). `None` when the result does not fit 38 digits.
pub fn times_ten_to(d: Decimal, places: u32) -> Option<Decimal> {
    let (m, s) = (d.mantissa(), d.scale());
    if s >= places {
        return Decimal::from_parts(m, s - places);
    }
    let factor = 10i128.checked_pow(places - s)?;
    Decimal::from_parts(m.checked_mul(factor)?, 0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn value(text: &str) -> String {
        let (digits, places) = split_multiplier(text);
        times_ten_to(digits.parse().unwrap(), places)
            .unwrap()
            .to_string()
    }

    #[test]
    fn wan_and_yi_are_exact() {
        assert_eq!(value("5万"), "50000");
        assert_eq!(value("1.5亿"), "150000000");
        assert_eq!(value("3.5万"), "35000");
        assert_eq!(value("1.23456万"), "12345.6");
        assert_eq!(value("0.00001万"), "0.1");
        assert_eq!(value("12"), "12");
        let (d, p) = split_multiplier("99999999999999999999999999999999999999亿");
        assert_eq!(times_ten_to(d.parse().unwrap(), p), None);
    }
}
