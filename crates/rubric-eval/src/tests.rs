#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{InputRow, Outcome, Plan, TraceDetail, Value};
use rubric_check::hir::{Model, Ty};
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;
use std::str::FromStr;

pub(crate) fn model(src: &str) -> Model {
    let (_, checked) = rubric_check::check_source(src);
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == rubric_syntax::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    checked.model
}

/// Rows from `name=value` cells separated by spaces; unlisted fields are missing.
pub(crate) fn rows(model: &Model, recs: &[&str]) -> Vec<InputRow> {
    recs.iter()
        .enumerate()
        .map(|(i, rec)| {
            let mut values = vec![Value::Missing; model.fields.len()];
            for cell in rec.split_whitespace() {
                let (name, v) = cell.split_once('=').unwrap();
                let f = model
                    .field_named(name)
                    .unwrap_or_else(|| panic!("no field {name}"));
                values[f] = match model.fields[f].ty {
                    Ty::Int | Ty::Decimal => Value::Num(Decimal::from_str(v).unwrap()),
                    Ty::Date => Value::Date(Date::parse(v).unwrap()),
                    Ty::Bool => Value::Bool(v == "true"),
                    _ => Value::Text(v.into()),
                };
            }
            InputRow {
                line: i as u64 + 2,
                values,
            }
        })
        .collect()
}

fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// Every row's value of `item`, printed.
pub(crate) fn column(src: &str, as_of: &str, recs: &[&str], item: &str) -> Vec<String> {
    let m = model(src);
    let plan = Plan::compile(&m, date(as_of));
    let ev = plan.evaluate(rows(&m, recs));
    assert!(ev.rejects().is_empty(), "{:?}", ev.rejects());
    let id = m.item_named(item).unwrap();
    (0..ev.len())
        .map(|r| crate::format_value(ev.value(r, id), &m.items[id].ty, &m))
        .collect()
}

const TIERS: &str = r#"
scheme "IBM customer tiers"
as_of 2024-06-30
input {
  id          text      key
  revenue     decimal   "营业额"
  profit      decimal
  region      text
  last_order  date?
  orders_12m  int
}
let margin  = profit / revenue
let active  = last_order within 90d
grade tier "客户等级" {
  diamond "钻石级" when cumulative_share(revenue) <= 50%  { owner: "集团副总裁", service: "个性化咨询" }
  gold    "黄金级" when cumulative_share(revenue) <= 75%  { owner: "区域总裁",   service: "个性化方案" }
  silver  "白银级" when cumulative_share(revenue) <= 95%  { owner: "大客户经理", service: "标准方案+价格优惠" }
  other   "其他"   otherwise                               { owner: "",           service: "标准产品" }
}
let owner = tier.owner
"#;

#[test]
fn language_section_1_tiers() {
    let recs = [
        "id=a revenue=500 profit=70 region=north orders_12m=9",
        "id=b revenue=250 profit=10 region=south orders_12m=2",
        "id=c revenue=200 profit=5 region=south orders_12m=1",
        "id=d revenue=50 profit=1 region=south orders_12m=1",
    ];
    assert_eq!(
        column(TIERS, "2024-06-30", &recs, "tier"),
        ["diamond", "gold", "silver", "other"]
    );
    assert_eq!(
        column(TIERS, "2024-06-30", &recs, "owner"),
        ["集团副总裁", "区域总裁", "大客户经理", ""]
    );
    assert_eq!(
        column(TIERS, "2024-06-30", &recs, "margin"),
        ["0.14", "0.04", "0.025", "0.02"]
    );
    // last_order is missing: `within` is missing
    assert_eq!(
        column(TIERS, "2024-06-30", &recs, "active"),
        ["", "", "", ""]
    );
}

#[test]
fn within_edges() {
    let recs = [
        "id=a revenue=1 profit=0 region=x orders_12m=1 last_order=2024-04-01", // as_of - 90d
        "id=b revenue=1 profit=0 region=x orders_12m=1 last_order=2024-03-31", // one day earlier
        "id=c revenue=1 profit=0 region=x orders_12m=1 last_order=2024-06-30", // as_of
        "id=d revenue=1 profit=0 region=x orders_12m=1 last_order=2024-07-01", // future
        "id=e revenue=0 profit=0 region=x orders_12m=1",
    ];
    assert_eq!(
        column(TIERS, "2024-06-30", &recs, "active"),
        ["true", "false", "true", "false", ""]
    );
    // division by zero is missing
    assert_eq!(column(TIERS, "2024-06-30", &recs, "margin")[4], "");
}

const SCORE: &str = r#"
input { id text key, history_sales decimal, forecast_sales decimal, loyal bool }
points forecast_pts by forecast_sales {
  100 when >= 5_000_000
  90  when >= 4_000_000
  70  when >= 2_000_000
  40  otherwise
}
points history_pts by history_sales { 90 when >= 1_000_000, 60 when >= 100_000, 0 otherwise }
score priority "客户评分" {
  history_pts  weight 50%
  forecast_pts weight 50%  bonus 1.05 when history_sales >= 1_000_000
}
score s { history_pts weight 50%, forecast_pts weight 50% } bonus 1.05 when loyal
grade level by priority { A when >= 85, B when >= 70, C when >= 60, D otherwise }
"#;

#[test]
fn scorecards_81_75_and_84() {
    let recs = ["id=g1 history_sales=1200000 forecast_sales=2500000 loyal=true"];
    assert_eq!(column(SCORE, "2024-06-30", &recs, "history_pts"), ["90"]);
    assert_eq!(column(SCORE, "2024-06-30", &recs, "forecast_pts"), ["70"]);
    assert_eq!(column(SCORE, "2024-06-30", &recs, "priority"), ["81.75"]);
    assert_eq!(column(SCORE, "2024-06-30", &recs, "level"), ["B"]);
    assert_eq!(column(SCORE, "2024-06-30", &recs, "s"), ["84"]);
}

#[test]
fn zero_point_one_plus_zero_point_two_is_exactly_zero_point_three() {
    let src =
        "input { id text key, a decimal, b decimal }\nlet s = a + b\nlet exact = a + b == 0.3\n";
    assert_eq!(
        column(src, "2024-06-30", &["id=x a=0.1 b=0.2"], "s"),
        ["0.3"]
    );
    assert_eq!(
        column(src, "2024-06-30", &["id=x a=0.1 b=0.2"], "exact"),
        ["true"]
    );
}

/// The test blocks of LANGUAGE.md: `given` records become rows, every `expect` holds.
#[test]
fn language_test_blocks_hold_through_eval_expr() {
    use rubric_syntax::ast::Literal;
    let check = |src: &str| {
        let m = model(src);
        for t in &m.tests {
            let rows: Vec<InputRow> = t
                .records
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut values = vec![Value::Missing; m.fields.len()];
                    for (f, lit) in &r.values {
                        values[*f] = match lit {
                            Literal::Text(s) if m.fields[*f].ty == Ty::Date => Value::Date(date(s)),
                            other => crate::literal_value(other),
                        };
                    }
                    InputRow {
                        line: i as u64 + 1,
                        values,
                    }
                })
                .collect();
            let plan = Plan::compile(&m, t.as_of.or(m.as_of).unwrap_or(date("2024-06-30")));
            let ev = plan.evaluate(rows);
            for e in &t.expects {
                let v = if t.many {
                    ev.eval_global(&m, &e.expr)
                } else {
                    ev.eval_expr(&m, &e.expr, 0)
                };
                assert_eq!(v, Value::Bool(true), "{}: {:?}", t.name, e.span);
            }
        }
        m.tests.len()
    };
    assert_eq!(check(TIERS), 0);
    let with_test = format!(
        "{TIERS}\ntest \"the biggest customer is diamond\" {{\n  given [\n    {{ id: \"a\", revenue: 500, profit: 70, region: \"north\", orders_12m: 9 }},\n    {{ id: \"b\", revenue: 250, profit: 10, region: \"south\", orders_12m: 2 }},\n    {{ id: \"c\", revenue: 200, profit: 5,  region: \"south\", orders_12m: 1 }},\n    {{ id: \"d\", revenue: 50,  profit: 1,  region: \"south\", orders_12m: 1 }},\n  ]\n  expect tier[\"a\"] == diamond\n  expect tier[\"b\"] == gold\n  expect tier[\"c\"] == silver\n  expect tier[\"d\"] == other\n  expect tier[\"zz\"] is missing\n  expect owner[\"a\"] == \"集团副总裁\"\n}}\n"
    );
    assert_eq!(check(&with_test), 1);
    let scorecard = format!(
        "{SCORE}\ntest \"the term bonus applies to the forecast part only\" {{\n  given {{ id: \"g1\", history_sales: 1_200_000, forecast_sales: 2_500_000 }}\n  expect history_pts == 90\n  expect priority == 81.75\n  expect level == B\n  expect loyal is missing\n}}\n"
    );
    assert_eq!(check(&scorecard), 1);
}

#[test]
fn traces_name_the_rule_that_fired_and_its_values() {
    let m = model(TIERS);
    let plan = Plan::compile(&m, date("2024-06-30"));
    let ev = plan.evaluate(rows(
        &m,
        &[
            "id=a revenue=500 profit=70 region=north orders_12m=9",
            "id=b revenue=250 profit=10 region=south orders_12m=2",
            "id=c revenue=200 profit=5 region=south orders_12m=1",
            "id=d revenue=50 profit=1 region=south orders_12m=1",
        ],
    ));
    let tier = m.item_named("tier").unwrap();
    let t = ev.trace(&m, ev.row_of_key("b").unwrap(), tier);
    let TraceDetail::Rules { rules, .. } = &t.detail else {
        panic!("rules")
    };
    let outcomes: Vec<Outcome> = rules.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::False,
            Outcome::True,
            Outcome::NotReached,
            Outcome::NotReached
        ]
    );
    assert_eq!(rules[1].leaves[0].name, "cumulative_share(revenue)");
    assert_eq!(
        rules[1].leaves[0].value,
        Value::Num(Decimal::from_str("0.75").unwrap())
    );
    assert_eq!(t.fired().len(), 1);
    assert_eq!(t.fired()[0].label, "gold");
}

#[test]
fn round_is_half_away_from_zero_and_keeps_places_it_has() {
    let src = "input { id text key, x decimal }\nlet r0 = round(x, 0)\nlet r2 = round(x, 2)\nlet all = round(x, 38)\n";
    let recs = ["id=a x=2.5", "id=b x=-1.235", "id=c x=1.25"];
    assert_eq!(column(src, "2024-06-30", &recs, "r0"), ["3", "-1", "1"]);
    assert_eq!(
        column(src, "2024-06-30", &recs, "r2"),
        ["2.5", "-1.24", "1.25"]
    );
    // as many places as a number can have keeps every place
    assert_eq!(
        column(src, "2024-06-30", &recs, "all"),
        ["2.5", "-1.235", "1.25"]
    );
}
