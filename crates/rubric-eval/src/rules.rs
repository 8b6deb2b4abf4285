//! The grading rules, defined once. How a grade and `points` pick their rule (first match), how
//! tags collect theirs, and how a score adds its terms and applies its bonuses. Every engine
//! decides with these functions (the row interpreter in `eval`, the block engine in `vector`, the
//! explanation in `trace`), so none can decide differently; what they feed in (a condition's
//! value for one customer) is their own, and the differential harness
//! (`crates/rubric-cli/tests/differential.rs`) holds them to each other.
//!
//! Conditions follow SQL's three-valued logic: a rule fires when its condition is true. False
//! and missing do not fire; `otherwise` always does. An overflow (an arithmetic result outside
//! the exact decimal range) stops the item: the customer is rejected, never silently graded.

use rubric_syntax::Decimal;

/// An arithmetic result outside the exact decimal range (or a date outside years 1–9999): the
/// row is rejected, never silently wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow;

/// Whether a condition fires: only when it is true (missing does not).
#[inline(always)]
pub(crate) fn fires(truth: Option<bool>) -> bool {
    truth == Some(true)
}

/// Where first match stands for one customer: still open, decided by rule `k`, or overflowed.
/// Packed in a `u32` so that the block engine keeps one per row.
pub(crate) type Pick = u32;
/// No rule has fired yet (after the last rule: the item is missing).
pub(crate) const OPEN: Pick = u32::MAX;
/// A condition overflowed before any rule fired.
pub(crate) const OVERFLOWED: Pick = u32::MAX - 1;

/// One rule's condition for one customer, as first match and tags read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// `otherwise`.
    Otherwise,
    /// A condition that was evaluated: fires when true.
    Cond(Option<bool>),
    /// A condition whose evaluation overflowed.
    Overflow,
}

impl Rule {
    /// The rule of a condition evaluated by the row interpreter.
    pub(crate) fn of(c: Result<Option<bool>, Overflow>) -> Rule {
        c.map_or(Rule::Overflow, Rule::Cond)
    }
}

/// First match, one rule at a time: given where customer stands after rules `0..k`, where
/// they stand after rule `k`. Once a rule fired (or a condition overflowed) nothing changes:
/// later conditions are not read. `otherwise` always fires.
#[inline(always)]
pub(crate) fn first_match_step(pick: Pick, k: u32, rule: Rule) -> Pick {
    if pick != OPEN {
        return pick;
    }
    match rule {
        Rule::Otherwise => k,
        Rule::Cond(t) if fires(t) => k,
        Rule::Cond(_) => OPEN,
        Rule::Overflow => OVERFLOWED,
    }
}

/// [`first_match_step`] over one row's truth byte (the block engine's: 1 true, 0 false, else
/// missing) and overflow flag, written without branches on the data: which rows fire is data,
/// not a pattern to predict.
#[inline(always)]
pub(crate) fn first_match_step_bytes(pick: Pick, k: u32, truth: u8, overflow: bool) -> Pick {
    let open = pick == OPEN;
    let over = open & overflow;
    let fire = open & !overflow & (truth == 1);
    let p = if fire { k } else { pick };
    if over {
        OVERFLOWED
    } else {
        p
    }
}

/// First match over rules whose conditions are evaluated on demand: the first rule that fires
/// (`None`: none did), or the overflow that stopped it.
pub(crate) fn first_match<C>(
    rules: impl IntoIterator<Item = Option<C>>,
    mut cond: impl FnMut(C) -> Result<Option<bool>, Overflow>,
) -> Result<Option<usize>, Overflow> {
    let mut pick = OPEN;
    for (k, rule) in rules.into_iter().enumerate() {
        let k = u32::try_from(k).map_err(|_| Overflow)?;
        let rule = match rule {
            None => Rule::Otherwise,
            Some(c) => Rule::of(cond(c)),
        };
        pick = first_match_step(pick, k, rule);
        if pick != OPEN {
            break;
        }
    }
    match pick {
        OPEN => Ok(None),
        OVERFLOWED => Err(Overflow),
        k => Ok(Some(k as usize)),
    }
}

/// The most rules a `tags` item has (one bit each; the checker refuses more).
pub(crate) const MAX_TAGS: usize = 64;

/// Tags: every rule whose condition is true adds its tag; `otherwise` adds its tag only when
/// no other rule fired.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tags {
    bits: u64,
    otherwise: u64,
}

impl Tags {
    /// Rule `k` (below [`MAX_TAGS`]): `Err` when its condition overflowed.
    #[inline(always)]
    pub(crate) fn add(&mut self, k: usize, rule: Rule) -> Result<(), Overflow> {
        let bit = 1u64
            .checked_shl(u32::try_from(k).unwrap_or(u32::MAX))
            .unwrap_or(0);
        match rule {
            Rule::Otherwise => self.otherwise |= bit,
            Rule::Cond(t) if fires(t) => self.bits |= bit,
            Rule::Cond(_) => {}
            Rule::Overflow => return Err(Overflow),
        }
        Ok(())
    }

    /// The tags that fired, as bits by rule.
    pub(crate) fn bits(self) -> u64 {
        if self.bits == 0 {
            self.otherwise
        } else {
            self.bits
        }
    }

    /// Whether a rule other than `otherwise` fired.
    pub(crate) fn any(self) -> bool {
        self.bits != 0
    }
}

/// The exact arithmetic a score is computed in: [`Decimal`] in the row interpreter and the
/// explanation, (mantissa, scale) pairs in the block engine. Both refuse what does not fit.
pub(crate) trait Number: Copy {
    const ZERO: Self;
    fn mul(self, other: Self) -> Option<Self>;
    fn add(self, other: Self) -> Option<Self>;
}

impl Number for Decimal {
    const ZERO: Decimal = Decimal::ZERO;
    #[inline]
    fn mul(self, other: Decimal) -> Option<Decimal> {
        self.checked_mul(other)
    }
    #[inline]
    fn add(self, other: Decimal) -> Option<Decimal> {
        self.checked_add(other)
    }
}

/// One score term's part: its value times its weight, times the bonus factor when the term's
/// bonus condition holds (`bonus` gives the factor then, and is asked only when the value is
/// present). A missing value makes the part missing.
#[inline]
pub(crate) fn term<N: Number>(
    value: Option<N>,
    weight: N,
    bonus: impl FnOnce() -> Result<Option<N>, Overflow>,
) -> Result<Option<N>, Overflow> {
    let Some(x) = value else {
        return Ok(None);
    };
    let mut part = x.mul(weight).ok_or(Overflow)?;
    if let Some(factor) = bonus()? {
        part = part.mul(factor).ok_or(Overflow)?;
    }
    Ok(Some(part))
}

/// A score: the sum of its terms' parts (in order; a missing part makes the score missing and
/// stops there), then times the factor of every whole-score bonus that holds (`Some(factor)`).
pub(crate) fn score<N: Number>(
    parts: impl IntoIterator<Item = Result<Option<N>, Overflow>>,
    bonuses: impl IntoIterator<Item = Result<Option<N>, Overflow>>,
) -> Result<Option<N>, Overflow> {
    let mut sum = N::ZERO;
    for part in parts {
        let Some(p) = part? else {
            return Ok(None);
        };
        sum = sum.add(p).ok_or(Overflow)?;
    }
    for bonus in bonuses {
        if let Some(factor) = bonus? {
            sum = sum.mul(factor).ok_or(Overflow)?;
        }
    }
    Ok(Some(sum))
}

/// A bonus's factor when its condition fires.
#[inline]
pub(crate) fn bonus<N: Number>(
    factor: N,
    cond: Result<Option<bool>, Overflow>,
) -> Result<Option<N>, Overflow> {
    Ok(fires(cond?).then_some(factor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    #[test]
    fn first_match_stops_at_the_first_true_rule_and_reads_no_further() {
        let mut read = Vec::new();
        let conds = [
            Some(Some(false)),
            Some(None),
            Some(Some(true)),
            Some(Some(true)),
        ];
        let got = first_match(conds, |c| {
            read.push(c);
            Ok(c)
        });
        assert_eq!(got, Ok(Some(2)));
        assert_eq!(read.len(), 3, "the fourth condition is never evaluated");
        let missing_only = [Some(None), Some(Some(false))];
        assert_eq!(first_match(missing_only, Ok), Ok(None));
        assert_eq!(first_match([Some(None), None], Ok), Ok(Some(1)));
    }

    #[test]
    fn an_overflow_counts_only_before_a_rule_fired() {
        let rules = [Some(Err(Overflow)), Some(Ok(Some(true)))];
        assert_eq!(first_match(rules, |c| c), Err(Overflow));
        let rules = [Some(Ok(Some(true))), Some(Err(Overflow))];
        assert_eq!(first_match(rules, |c| c), Ok(Some(0)));
    }

    #[test]
    fn the_branch_free_step_is_the_step() {
        let rules = [
            (0u8, false, Rule::Cond(Some(false))),
            (1, false, Rule::Cond(Some(true))),
            (2, false, Rule::Cond(None)),
            (0, true, Rule::Overflow),
            (1, true, Rule::Overflow),
        ];
        for pick in [OPEN, OVERFLOWED, 0, 3] {
            for &(truth, over, rule) in &rules {
                assert_eq!(
                    first_match_step_bytes(pick, 5, truth, over),
                    first_match_step(pick, 5, rule),
                    "pick {pick}, truth {truth}, overflow {over}"
                );
            }
        }
    }

    #[test]
    fn otherwise_tags_only_when_nothing_else_fired() {
        let mut t = Tags::default();
        assert_eq!(t.add(0, Rule::Cond(Some(true))), Ok(()));
        assert_eq!(t.add(1, Rule::Cond(None)), Ok(()));
        assert_eq!(t.add(2, Rule::Otherwise), Ok(()));
        assert_eq!(t.bits(), 0b001);
        let mut t = Tags::default();
        assert_eq!(t.add(0, Rule::Cond(Some(false))), Ok(()));
        assert_eq!(t.add(2, Rule::Otherwise), Ok(()));
        assert_eq!(t.bits(), 0b100);
        assert!(!t.any());
        assert_eq!(t.add(3, Rule::Overflow), Err(Overflow));
    }

    #[test]
    fn a_score_is_weighted_parts_then_bonuses() {
        // 10 × 2 × 1.5 (term bonus holds) + 4 × 3, then × 2 (whole bonus holds), × 3 (does not)
        let half = Decimal::from_parts(15, 1).unwrap_or(Decimal::ZERO);
        let parts = [
            term(Some(d(10)), d(2), || bonus(half, Ok(Some(true)))),
            term(Some(d(4)), d(3), || bonus(d(9), Ok(None))),
        ];
        let got = score(
            parts,
            [bonus(d(2), Ok(Some(true))), bonus(d(3), Ok(Some(false)))],
        );
        assert_eq!(got, Ok(Some(d(84))));
        let missing = [term(None, d(2), || Err(Overflow))];
        assert_eq!(
            score(missing, [Err(Overflow)]),
            Ok(None),
            "a missing part stops the score"
        );
    }
}
