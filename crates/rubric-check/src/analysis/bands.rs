//! `overlapping-bands`: two `between` bands of one `by` table that share values (`between 0 and
//! 50` and `between 50 and 100` both hold 50). First match wins, so the shared values silently go
//! to the first band. A band entirely inside an earlier one is `unreachable-rule`, not this.

use super::{num, RuleSet};
use crate::hir::{TExpr, TExprKind};
use rubric_syntax::{Decimal, Diagnostic, Span};

/// The constant bounds of `between LO and HI` on the `by` subject.
fn band(cond: &TExpr) -> Option<(Decimal, Decimal)> {
    match &cond.kind {
        TExprKind::Between { value, lo, hi } if matches!(value.kind, TExprKind::Subject) => {
            Some((num(lo)?, num(hi)?))
        }
        _ => None,
    }
}

pub(super) fn overlapping(name: &str, set: &RuleSet, out: &mut Vec<Diagnostic>) {
    if set.by.is_none() || set.is_tags {
        return;
    }
    let bands: Vec<(&str, Decimal, Decimal, Span)> = set
        .rules
        .iter()
        .filter_map(|(shown, cond, span)| {
            let (lo, hi) = band((*cond)?)?;
            (lo <= hi).then_some((shown.as_str(), lo, hi, *span))
        })
        .collect();
    for (j, (later, lo_j, hi_j, span_j)) in bands.iter().enumerate() {
        // the first earlier band it overlaps without lying inside it
        let earlier = bands[..j].iter().find(|(_, lo_i, hi_i, _)| {
            let overlaps = lo_i.max(lo_j) <= hi_i.min(hi_j);
            let inside = lo_i <= lo_j && hi_j <= hi_i;
            overlaps && !inside
        });
        let Some((first, lo_i, hi_i, span_i)) = earlier else {
            continue;
        };
        let (from, to) = (*lo_i.max(lo_j), *hi_i.min(hi_j));
        let shared = if from == to {
            format!("{}", from.normalize())
        } else {
            format!("{} to {}", from.normalize(), to.normalize())
        };
        out.push(
            Diagnostic::warning(
                "overlapping-bands",
                format!("rule {later} of `{name}` shares {shared} with rule {first}"),
                *span_j,
            )
            .with_label(format!("{shared} also matches rule {first}, which wins"))
            .with_related(*span_i, "the earlier band")
            .with_help(
                "make the bands meet without sharing values, e.g. `>= 50` then `>= 0` from the top, or `between 0 and 49` then `between 50 and 100` for whole numbers",
            ),
        );
    }
}
