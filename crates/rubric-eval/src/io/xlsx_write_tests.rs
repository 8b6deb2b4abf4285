//! The workbook writer, read back with calamine as a user's spreadsheet program would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::io::{Format, ReadOptions, Reader};
use crate::run::{run_to, ColumnOptions, Columns, Output, RunOptions};
use crate::Plan;
use calamine::{open_workbook_from_rs, Data, Reader as _, Xlsx};
use std::io::{Cursor, Read};

const SCHEME: &str = r#"
scheme "t"
as_of 2024-06-30
input {
  id       text     key "编号"
  name     text         "姓名"
  revenue  decimal      "营业额"
  joined   date         "入会日期"
  vip      bool         "会员"
}
let big = revenue >= 1000
score value {
  revenue weight 1
}
grade tier "客户等级" {
  gold   "金卡" when revenue >= 1000 { owner: "总监", visits: 4 }
  silver        when revenue >= 100  { owner: "经理", visits: 2 }
  plain  "普通" otherwise            { owner: "",     visits: 0 }
}
tags flags "标记" {
  member "会员" when vip
  new    "新客" when joined >= 2024-01-01
}
"#;

const DATA: &str = "编号,姓名,营业额,入会日期,会员\n\
    001,张三,1234.5,2024-03-05,是\n\
    002,李四,150,2023-12-31,否\n\
    003,王五,99.25,2024-02-01,是\n\
    004,赵六,12345678901234567.5,2020-01-01,否\n\
    004,重复,1,2020-01-01,否\n";

/// Runs the scheme over `data` into a workbook with at most `max_rows` data rows a sheet.
fn book(data: &str, all: bool, max_rows: u32) -> Vec<u8> {
    let model = crate::tests::model(SCHEME);
    let reader = Reader::from_bytes(
        data.as_bytes().to_vec(),
        "data.csv",
        Format::Csv,
        &ReadOptions::default(),
        &model,
    )
    .unwrap();
    // keep 姓名 and 入会日期, as `--keep name,joined` does
    let keep = vec![
        model.field_named("name").unwrap(),
        model.field_named("joined").unwrap(),
    ];
    let as_of = Date::parse("2024-06-30").unwrap();
    let plan = Plan::compile(&model, as_of);
    let columns = Columns::with(
        &model,
        &ColumnOptions {
            all,
            keep,
            ..ColumnOptions::default()
        },
    );
    let layout = XlsxColumn::layout(&model, &columns.columns, &columns.items_shown, all);
    let mut book = XlsxBook::with_max_rows("out.xlsx", layout, as_of, max_rows).unwrap();
    let (summary, rejects) = run_to(
        &plan,
        &model,
        SCHEME,
        reader,
        Output::Rows(&mut book),
        &columns,
        &RunOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let tables = summary
        .grades
        .iter()
        .map(|g| SummaryTable {
            title: g.name.clone(),
            rows: g
                .codes
                .iter()
                .map(|(code, n, m)| SummaryRow {
                    code: code.clone(),
                    label: format!("{code}!"),
                    customers: *n,
                    measure: *m,
                })
                .collect(),
        })
        .collect();
    let s = Summary {
        customers: summary.written,
        measure: Some(("营业额".into(), Decimal::from(100u64))),
        tables,
    };
    let originals = crate::io::OriginalRows::empty("t.csv", &["id".to_string()]);
    let table = crate::io::RejectTable::new(&rejects, &originals);
    let mut out = Vec::new();
    book.finish(&s, &table, &mut out).unwrap();
    out
}

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap()
}

fn row(range: &calamine::Range<Data>, r: usize) -> Vec<Data> {
    range.rows().nth(r).unwrap().to_vec()
}

fn s(t: &str) -> Data {
    Data::String(t.into())
}

#[test]
fn result_sheet_has_typed_cells_codes_and_labels() {
    let bytes = book(DATA, false, MAX_DATA_ROWS);
    let mut wb = open(&bytes);
    assert_eq!(wb.sheet_names(), ["结果", "汇总", "拒绝"]);
    let r = wb.worksheet_range("结果").unwrap();
    assert_eq!(
        row(&r, 0),
        [
            s("编号"),
            s("姓名"),
            s("入会日期"),
            s("value"),
            s("tier"),
            s("客户等级 名称"),
            s("flags"),
            s("标记 名称"),
        ]
    );
    // a key stays text (`001`), a score is a number, a grade is its code then its label
    assert_eq!(
        row(&r, 1),
        [
            s("001"),
            s("张三"),
            row(&r, 1)[2].clone(),
            Data::Float(1234.5),
            s("gold"),
            s("金卡"),
            s("member;new"),
            s("会员;新客"),
        ]
    );
    // a code without a label is its own label; no tag is an empty cell
    assert_eq!(
        row(&r, 2)[4..8],
        [s("silver"), s("silver"), Data::Empty, Data::Empty]
    );
    // 17 significant digits do not fit an f64: the digits stay, as text
    assert_eq!(row(&r, 4)[3], s("12345678901234567.5"));
    assert_eq!(
        r.height(),
        5,
        "a header and four rows; the duplicate is rejected"
    );
}

#[test]
fn all_adds_lets_and_grade_attributes_with_their_types() {
    let bytes = book(DATA, true, MAX_DATA_ROWS);
    let mut wb = open(&bytes);
    let r = wb.worksheet_range("结果").unwrap();
    let header = row(&r, 0);
    let at = |name: &str| header.iter().position(|h| *h == s(name)).unwrap();
    let first = row(&r, 1);
    assert_eq!(first[at("big")], Data::Bool(true));
    assert_eq!(first[at("tier.owner")], s("总监"));
    assert_eq!(first[at("tier.visits")], Data::Float(4.0));
    assert_eq!(
        row(&r, 3)[at("tier.owner")],
        Data::Empty,
        "an empty text attribute"
    );
}

#[test]
fn dates_are_date_cells() {
    // the kept date field: a date cell (a serial number with a date format)
    let bytes = book(DATA, false, MAX_DATA_ROWS);
    let mut wb = open(&bytes);
    let r = wb.worksheet_range("结果").unwrap();
    match &row(&r, 1)[2] {
        Data::DateTime(d) => {
            assert!(d.is_datetime());
            assert_eq!(d.as_f64(), 45_356.0);
        }
        other => panic!("not a date cell: {other:?}"),
    }
    assert_eq!(excel_date("2024-03-05"), Some(45_356.0));
    assert_eq!(excel_date("1900-03-01"), Some(61.0));
    assert_eq!(
        excel_date("1900-02-28"),
        None,
        "before Excel's calendar is right"
    );
}

#[test]
fn numbers_excel_shows_exactly_are_numbers() {
    assert_eq!(excel_number("81.75"), Some((81.75, 2)));
    assert_eq!(excel_number("-0.5"), Some((-0.5, 1)));
    assert_eq!(excel_number("84"), Some((84.0, 0)));
    assert_eq!(
        excel_number("123456789012345"),
        Some((123_456_789_012_345.0, 0))
    );
    assert_eq!(excel_number("0.000000000000001"), Some((1e-15, 15)));
    assert_eq!(
        excel_number("1234567890123456"),
        None,
        "16 significant digits"
    );
    assert_eq!(excel_number("0.1234567890123456"), None);
    assert_eq!(excel_number("abc"), None);
}

#[test]
fn summary_sheet_has_counts_shares_and_a_chart() {
    let bytes = book(DATA, false, MAX_DATA_ROWS);
    let mut wb = open(&bytes);
    let r = wb.worksheet_range("汇总").unwrap();
    assert_eq!(row(&r, 0)[0], s("tier"));
    assert_eq!(
        row(&r, 1),
        [
            s("代码"),
            s("名称"),
            s("客户数"),
            s("占比"),
            s("营业额"),
            s("营业额 占比")
        ]
    );
    // gold: 001 and 004 of four written rows
    assert_eq!(
        row(&r, 2)[..4],
        [s("gold"), s("gold!"), Data::Float(2.0), Data::Float(0.5)]
    );
    assert_eq!(
        row(&r, 3)[..4],
        [
            s("silver"),
            s("silver!"),
            Data::Float(1.0),
            Data::Float(0.25)
        ]
    );
    // the chart part is in the package, and it plots the sheet's counts
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/charts/chart1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("<c:barChart>"), "{xml}");
    assert!(xml.contains("汇总"), "{xml}");
    assert!(
        zip.by_name("xl/charts/chart2.xml").is_ok(),
        "one chart per grade and tags"
    );
}

#[test]
fn rejects_sheet_lays_rejects_out_as_the_csv_does() {
    let bytes = book(DATA, false, MAX_DATA_ROWS);
    let mut wb = open(&bytes);
    let r = wb.worksheet_range("拒绝").unwrap();
    let header: Vec<Data> = ["line", "column", "key", "reason", "file", "id"]
        .iter()
        .map(|h| s(h))
        .collect();
    assert_eq!(row(&r, 0), header);
    assert_eq!(row(&r, 1)[0], Data::Float(6.0), "the line is a number");
    assert_eq!(row(&r, 1)[2], s("004"));
    assert!(matches!(&row(&r, 1)[3], Data::String(t) if t.contains("duplicate")));
}

#[test]
fn rows_past_the_limit_continue_on_numbered_sheets() {
    let bytes = book(DATA, false, 3);
    let mut wb = open(&bytes);
    assert_eq!(wb.sheet_names(), ["结果", "结果 2", "汇总", "拒绝"]);
    let a = wb.worksheet_range("结果").unwrap();
    let b = wb.worksheet_range("结果 2").unwrap();
    assert_eq!(a.height(), 4);
    assert_eq!(b.height(), 2);
    assert_eq!(row(&a, 0), row(&b, 0), "each sheet has the header");
    assert_eq!(row(&b, 1)[0], s("004"));
}

#[test]
fn same_input_same_bytes() {
    assert_eq!(
        book(DATA, true, MAX_DATA_ROWS),
        book(DATA, true, MAX_DATA_ROWS)
    );
}

#[test]
fn widths_count_cjk_characters_double() {
    assert_eq!(text_width("abc"), 3);
    assert_eq!(text_width("金卡"), 4);
    assert_eq!(text_width("Ａ1"), 3);
}
