//! Score weights and bonuses: `zero-weight`, `negative-weight`, bonuses that cannot apply.

use crate::hir::*;
use rubric_syntax::{Decimal, Diagnostic};

pub(super) fn score(
    item: &Item,
    terms: &[ScoreTerm],
    bonuses: &[Bonus],
    out: &mut Vec<Diagnostic>,
) {
    for t in terms {
        if t.weight.is_zero() {
            out.push(
                Diagnostic::warning(
                    "zero-weight",
                    format!("this term of `{}` has weight 0 and never counts", item.name),
                    t.span,
                )
                .with_help("remove the term, or give it a weight"),
            );
        } else if t.weight.is_sign_negative() {
            out.push(
                Diagnostic::warning(
                    "negative-weight",
                    "a negative weight lowers the score as the value rises",
                    t.span,
                )
                .with_help("weights are shares of the score between 0% and 100%"),
            );
        }
    }
    for b in terms.iter().filter_map(|t| t.bonus.as_ref()).chain(bonuses) {
        if b.factor <= Decimal::ZERO {
            out.push(
                Diagnostic::error(
                    "bad-bonus",
                    format!(
                        "a bonus factor of {} {} the score",
                        b.factor.normalize(),
                        if b.factor.is_zero() {
                            "wipes out"
                        } else {
                            "flips the sign of"
                        }
                    ),
                    b.span,
                )
                .with_help(
                    "a bonus multiplies: use a factor above 1 to raise, e.g. `bonus 1.05 when …`",
                ),
            );
        } else if b.factor == Decimal::ONE {
            out.push(
                Diagnostic::warning("bad-bonus", "a bonus factor of 1 changes nothing", b.span)
                    .with_help("use a factor above 1 to raise the score, e.g. `bonus 1.05 when …`"),
            );
        }
    }
}
