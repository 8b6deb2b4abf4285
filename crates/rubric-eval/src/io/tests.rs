//! Data-layer tests: every format, every cell rule, the writers, and garbage input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::record::Rec;
use super::*;
use crate::table;
use crate::value::Value;
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::str::FromStr;

const SCHEME: &str = include_str!("../../../../tests/fixtures/data/customers.rubric");

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/data")
}

fn model_of(src: &str) -> Model {
    let (_, checked) = rubric_check::check_source(src);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    checked.model
}

fn model() -> Model {
    model_of(SCHEME)
}

/// A small scheme over the given `input { ... }` body.
fn scheme_with(fields: &str) -> Model {
    model_of(&format!(
        "scheme \"t\"\nas_of 2024-06-30\ninput {{\n{fields}\n}}\nlet one = 1\n"
    ))
}

fn read(
    bytes: &[u8],
    format: Format,
    options: &ReadOptions,
    model: &Model,
) -> (Vec<InputRow>, Vec<Reject>) {
    read_all_bytes(bytes.to_vec(), "input", format, options, model).unwrap()
}

fn csv(text: &str, model: &Model) -> (Vec<InputRow>, Vec<Reject>) {
    read(text.as_bytes(), Format::Csv, &ReadOptions::default(), model)
}

fn show(v: &Value) -> String {
    match v {
        Value::Missing => "missing".into(),
        Value::Num(d) => d.to_string(),
        Value::Text(s) => format!("{:?}", &**s),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn render(model: &Model, rows: &[InputRow], rejects: &[Reject]) -> String {
    let mut s = String::from("rows:\n");
    for r in rows {
        let _ = write!(s, "  line {}:", r.line);
        for (f, v) in model.fields.iter().zip(&r.values) {
            let _ = write!(s, " {}={}", f.name, show(v));
        }
        s.push('\n');
    }
    s.push_str("rejects:\n");
    for r in rejects {
        let _ = writeln!(
            s,
            "  line {} [{}] key {}: {}",
            r.line,
            r.column.as_deref().unwrap_or("-"),
            r.key.as_deref().unwrap_or("-"),
            r.reason
        );
    }
    s
}

fn num(s: &str) -> Value {
    Value::Num(Decimal::from_str(s).unwrap())
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn date(s: &str) -> Value {
    Value::Date(Date::parse(s).unwrap())
}

#[test]
fn fixtures_read_as_snapshotted() {
    let model = model();
    insta::glob!(
        "../../../../tests/fixtures/data",
        "customers.{csv,json,jsonl}",
        |path| {
            let (rows, rejects) = read_all(path, &ReadOptions::default(), &model).unwrap();
            insta::assert_snapshot!(render(&model, &rows, &rejects));
        }
    );
}

#[test]
fn csv_cell_rules() {
    let model = model();
    let (rows, rejects) = read_all(
        &fixtures().join("customers.csv"),
        &ReadOptions::default(),
        &model,
    )
    .unwrap();
    // The BOM is not part of the first header: `id` was found.
    let r = &rows[0];
    assert_eq!(r.line, 2);
    assert_eq!(
        r.values,
        vec![
            text("00017"),
            num("1234.50"),
            num("3"),
            Value::Bool(true),
            date("2024-05-16"),
            text("north")
        ]
    );
    // Spaces around a number are trimmed; 否 is false; quoted commas stay in the text.
    assert_eq!(rows[1].values[1], num("0.1"));
    assert_eq!(rows[1].values[3], Value::Bool(false));
    assert_eq!(rows[1].values[5], text("south, east"));
    // Exact beyond f64, and empty optional cells are missing.
    assert_eq!(rows[2].values[1], num("12345678901234567890.123456789"));
    assert_eq!(rows[2].values[4], Value::Missing);
    assert_eq!(rows[2].values[5], Value::Missing);
    // A quoted field spanning three lines: the record is on its first line, the next one after.
    assert_eq!(rows[3].line, 5);
    assert_eq!(rows[3].values[0], text("00020"));
    assert_eq!(rows[3].values[5], text("multi\nline\nregion"));
    let lines: Vec<u64> = rejects.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![8, 9, 10, 11, 12, 13, 14]);
    let reasons: Vec<&str> = rejects.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "`revenue`: `1,23` is not a number (thousands separators go between groups of three digits: 12,345.67)",
            "`revenue`: empty required cell",
            "`orders`: `1.5` is not a whole number",
            "duplicate key `00017` (first on line 2)",
            "`vip`: `maybe` is not a yes/no value (expected true/false, 1/0, yes/no or 是/否)",
            "`last_order`: `2024-02-30` has no day 30 (February 2024 has 29 days)",
            "the record has 6 cells but the header has 7",
        ]
    );
    assert_eq!(rejects[0].column.as_deref(), Some("营业额"));
    assert_eq!(rejects[0].key.as_deref(), Some("00021"));
    assert_eq!(rejects[3].column.as_deref(), Some("id"));
    assert_eq!(rejects[3].key.as_deref(), Some("00017"));
    // A cell of spaces is empty: the optional region is missing.
    let last = rows.last().unwrap();
    assert_eq!(last.line, 15);
    assert_eq!(last.values[5], Value::Missing);
    assert_eq!(rows.len() + rejects.len(), 12);
}

#[test]
fn utf8_with_and_without_bom_and_crlf() {
    let model = scheme_with("id text key\n名称 text");
    for input in [
        "id,名称\r\n1,甲\r\n2,乙\r\n",
        "\u{feff}id,名称\r\n1,甲\r\n2,乙\r\n",
        "\u{feff}id,名称\n1,甲\n2,乙",
    ] {
        let (rows, rejects) = csv(input, &model);
        assert!(rejects.is_empty(), "{rejects:?}");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(rows[1].values, vec![text("2"), text("乙")]);
    }
}

/// Plain lines are split without csv_core; every other line (quotes, a lone `\r`, a blank
/// line, a last line without a line break) goes through csv_core, in any mix, with the same
/// cells and line numbers either way.
#[test]
fn plain_and_quoted_lines_mix() {
    let model = scheme_with("id text key\nname text?\nx int?");
    let input = "id,name,x\r\n1,a,1\r\n\"2\",b,2\n\n3,\"c,\nd\",3\r4,e,4\n5,f,\n 6 ,g\"h,6\n7,,7";
    let (rows, rejects) = csv(input, &model);
    assert!(rejects.is_empty(), "{rejects:?}");
    let got: Vec<String> = rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = r.values.iter().map(show).collect();
            format!("{}: {}", r.line, cells.join(" "))
        })
        .collect();
    assert_eq!(
        got,
        vec![
            "2: \"1\" \"a\" 1",
            "3: \"2\" \"b\" 2",
            "5: \"3\" \"c,\\nd\" 3",
            "7: \"4\" \"e\" 4",
            "8: \"5\" \"f\" missing",
            "9: \" 6 \" \"g\\\"h\" 6",
            "10: \"7\" missing 7",
        ]
    );
    // the same file read a few bytes at a time: lines meet the buffer's end
    for step in [1, 3, 7] {
        let input = Trickle {
            data: input.as_bytes().to_vec(),
            at: 0,
            step,
        };
        let mut reader = Reader::from_read(
            Box::new(input),
            "input",
            Format::Csv,
            &ReadOptions::default(),
            &model,
        )
        .unwrap();
        let parser = reader.row_parser(&model).unwrap();
        let batch = reader.next_batch(100).unwrap();
        let trickled: Vec<InputRow> = batch.iter().map(|r| parser.parse(r).unwrap()).collect();
        assert_eq!(trickled, rows, "{step} bytes at a time");
    }
}

/// Yields its bytes a few at a time, so that decoding meets split multibyte sequences.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn gb18030_is_decoded_as_a_stream() {
    let model =
        scheme_with("id text key\nrevenue decimal \"营业额\"\nregion text \"地区\"\nvip bool?");
    let src = "客户编号,营业额,地区,vip\n00017,1234.5,华东,是\n00018,88,\"华南\n深圳\",否\n00019,1,𠀀字,\n";
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(src);
    assert!(!unmappable);
    assert_ne!(&bytes[..], src.as_bytes());
    // The header is not the key's column name: the key field reads `id`.
    let model_cn = scheme_with(
        "id text key \"客户编号\"\nrevenue decimal \"营业额\"\nregion text \"地区\"\nvip bool?",
    );
    let options = ReadOptions {
        encoding: Some(encoding_for_label("GB18030").unwrap()),
        ..ReadOptions::default()
    };
    for step in [1, 2, 3, 7, 1 << 20] {
        let input = Trickle {
            data: bytes.to_vec(),
            at: 0,
            step,
        };
        let mut reader =
            Reader::from_read(Box::new(input), "gb.csv", Format::Csv, &options, &model_cn).unwrap();
        assert_eq!(reader.header(), ["客户编号", "营业额", "地区", "vip"]);
        let parser = reader.row_parser(&model_cn).unwrap();
        let batch = reader.next_batch(100).unwrap();
        let rows: Vec<InputRow> = batch.iter().map(|r| parser.parse(r).unwrap()).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0].values,
            vec![
                text("00017"),
                num("1234.5"),
                text("华东"),
                Value::Bool(true)
            ]
        );
        assert_eq!(rows[1].values[2], text("华南\n深圳"));
        assert_eq!(rows[2].line, 5);
        assert_eq!(rows[2].values[2], text("𠀀字"));
        assert_eq!(rows[2].values[3], Value::Missing);
    }
    // Without the encoding, the Chinese header is not UTF-8.
    let err = read_all_bytes(
        bytes.to_vec(),
        "gb.csv",
        Format::Csv,
        &ReadOptions::default(),
        &model,
    )
    .unwrap_err();
    assert!(matches!(err, DataError::HeaderNotUtf8 { .. }), "{err}");
    assert_eq!(err.to_string(), "the header of `gb.csv` is not valid utf-8");
    // An ASCII header with gb18030 text cells: each such row is rejected with a hint.
    let (bytes, _, _) = encoding_rs::GB18030.encode("id,region\n1,华东\n2,north\n");
    let (rows, rejects) = read(
        &bytes,
        Format::Csv,
        &ReadOptions::default(),
        &scheme_with("id text key\nregion text"),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rejects.len(), 1);
    assert!(
        rejects[0].reason.contains("not valid utf-8"),
        "{}",
        rejects[0].reason
    );
    assert!(
        rejects[0].reason.contains("--encoding gb18030"),
        "{}",
        rejects[0].reason
    );
}

#[test]
fn utf16_with_bom_is_recognised() {
    let model = scheme_with("id text key\n名称 text");
    let mut bytes = vec![0xFF, 0xFE];
    for u in "id,名称\n1,甲\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let (rows, rejects) = read(&bytes, Format::Csv, &ReadOptions::default(), &model);
    assert!(rejects.is_empty());
    assert_eq!(rows[0].values, vec![text("1"), text("甲")]);
}

#[test]
fn missing_required_column_is_fatal_and_suggests() {
    let model = model();
    let err = read_all_bytes(
        b"id,Revenue,orders\n1,2,3\n".to_vec(),
        "a.csv",
        Format::Csv,
        &ReadOptions::default(),
        &scheme_with("id text key\nrevenue decimal\norders int"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`a.csv` has no column `revenue`; did you mean `Revenue`?"
    );
    let err = read_all_bytes(
        b" id ,revenue\n1,2\n".to_vec(),
        "a.csv",
        Format::Csv,
        &ReadOptions::default(),
        &model,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`a.csv` has no column `营业额` (field `revenue`); the columns are `id`, `revenue`"
    );
    // Headers are trimmed; extra columns are ignored; absent optional columns read as missing.
    let (rows, rejects) = csv(" id , 营业额 ,orders,other\n1,2,3,x\n", &model);
    assert!(rejects.is_empty());
    assert_eq!(
        rows[0].values,
        vec![
            text("1"),
            num("2"),
            num("3"),
            Value::Missing,
            Value::Missing,
            Value::Missing
        ]
    );
    let reader = Reader::from_bytes(
        "id,营业额,orders\n".as_bytes().to_vec(),
        "a.csv",
        Format::Csv,
        &ReadOptions::default(),
        &model,
    )
    .unwrap();
    assert_eq!(
        reader.row_parser(&model).unwrap().absent_optional_columns(),
        ["vip", "last_order", "region"]
    );
}

#[test]
fn duplicate_header_column_is_fatal() {
    let model = scheme_with("id text key\nx int");
    let err = read_all_bytes(
        b"id,x,x \n1,2,3\n".to_vec(),
        "a.csv",
        Format::Csv,
        &ReadOptions::default(),
        &model,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `x` appears twice in the header of `a.csv` (columns 2 and 3)"
    );
}

#[test]
fn empty_files() {
    let model = model();
    for (bytes, format) in [
        (&b""[..], Format::Csv),
        (b"\n\n", Format::Csv),
        (b"\xef\xbb\xbf", Format::Csv),
    ] {
        let err = read_all_bytes(
            bytes.to_vec(),
            "e.csv",
            format,
            &ReadOptions::default(),
            &model,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "`e.csv` is empty: expected a header row");
    }
    let (rows, rejects) = csv("id,营业额,orders\n", &model);
    assert!(rows.is_empty() && rejects.is_empty());
    let (rows, rejects) = read(b"[]", Format::Json, &ReadOptions::default(), &model);
    assert!(rows.is_empty() && rejects.is_empty());
    let (rows, rejects) = read(b"", Format::Jsonl, &ReadOptions::default(), &model);
    assert!(rows.is_empty() && rejects.is_empty());
    let err = read_all_bytes(
        b"  ".to_vec(),
        "e.json",
        Format::Json,
        &ReadOptions::default(),
        &model,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`e.json` line 1: the file is empty: expected a json array of objects"
    );
}

#[test]
fn leading_zero_keys_stay_text_and_duplicates_name_the_first_line() {
    let model = scheme_with("id text key\nn int");
    let (rows, rejects) = csv(
        "id,n\n00017,1\n17,2\n0017,3\n00017,4\n\"00017\",5\n",
        &model,
    );
    assert_eq!(
        rows.iter().map(|r| r.values[0].clone()).collect::<Vec<_>>(),
        vec![text("00017"), text("17"), text("0017")]
    );
    assert_eq!(rejects.len(), 2);
    assert_eq!(rejects[0].line, 5);
    assert_eq!(rejects[0].reason, "duplicate key `00017` (first on line 2)");
    assert_eq!(rejects[1].line, 6);
    assert_eq!(rejects[1].reason, "duplicate key `00017` (first on line 2)");
    // A rejected row does not claim its key.
    let (rows, rejects) = csv("id,n\na,x\na,1\na,2\n", &model);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 3);
    assert_eq!(rejects[1].reason, "duplicate key `a` (first on line 3)");
}

#[test]
fn number_keys_compare_by_value() {
    // The checker only allows text keys; the tracker still compares other values by value.
    let mut keys = KeyTracker::for_field(0, "id");
    let row = |line, v: &str| InputRow {
        line,
        values: vec![num(v)],
    };
    assert!(keys.check(&row(2, "7")).is_ok());
    assert!(keys.check(&row(3, "8")).is_ok());
    let r = keys.check(&row(4, "7.00")).unwrap_err();
    assert_eq!(r.reason, "duplicate key `7` (first on line 2)");
    assert_eq!(
        (r.line, r.column.as_deref(), r.key.as_deref()),
        (4, Some("id"), Some("7"))
    );
    assert_eq!(keys.len(), 2);
}

#[test]
fn many_keys_find_every_duplicate() {
    let model = scheme_with("id text key");
    let mut src = String::from("id\n");
    for i in 0..200_000u32 {
        let _ = writeln!(src, "{:08}", i);
    }
    for i in (0..200_000u32).step_by(50_000) {
        let _ = writeln!(src, "{:08}", i);
    }
    let (rows, rejects) = csv(&src, &model);
    assert_eq!(rows.len(), 200_000);
    assert_eq!(rejects.len(), 4);
    assert_eq!(rejects[3].line, 200_005);
    assert_eq!(
        rejects[3].reason,
        "duplicate key `00150000` (first on line 150002)"
    );
}

#[test]
fn every_bool_spelling_and_both_date_separators() {
    let model = scheme_with("id text key\nb bool\nd date");
    let src = "id,b,d\n1,true,2024-05-16\n2,FALSE,2024/05/16\n3,1,2024-02-29\n4,0,2024/12/31\n5,Yes,2024-01-01\n6,no,2024-01-01\n7,是,2024-01-01\n8,否,2024-01-01\n9,y,2024-01-01\n10,true,16/05/2024\n";
    let (rows, rejects) = csv(src, &model);
    let bools: Vec<Value> = rows.iter().map(|r| r.values[1].clone()).collect();
    let t = Value::Bool(true);
    let f = Value::Bool(false);
    assert_eq!(
        bools,
        vec![
            t.clone(),
            f.clone(),
            t.clone(),
            f.clone(),
            t.clone(),
            f.clone(),
            t,
            f
        ]
    );
    assert_eq!(rows[0].values[2], date("2024-05-16"));
    assert_eq!(rows[1].values[2], date("2024-05-16"));
    assert_eq!(rows[3].values[2], date("2024-12-31"));
    assert_eq!(rejects.len(), 2);
    assert_eq!(
        rejects[0].reason,
        "`b`: `y` is not a yes/no value (expected true/false, 1/0, yes/no or 是/否)"
    );
    assert_eq!(
        rejects[1].reason,
        "`d`: `16/05/2024` is ambiguous: the day and the month cannot be told apart (write the year first: 2024-05-16, 2024-5-16, 2024/5/16, 2024.5.16, 2024年5月16日 or 20240516)"
    );
}

#[test]
fn numbers_are_plain() {
    let model = scheme_with("id text key\nx decimal?\nn int?");
    let src = "id,x,n\n1,-12.50,-7\n2,1 234,1\n3,1e3,1\n4,+5,1\n5,\" 42 \",\" 8 \"\n6,,\n7,€5,1\n8,5,1,000\n";
    let (rows, rejects) = csv(src, &model);
    assert_eq!(rows[0].values[1..], [num("-12.50"), num("-7")]);
    assert_eq!(rows[1].values[1..], [num("42"), num("8")]);
    assert_eq!(rows[2].values[1..], [Value::Missing, Value::Missing]);
    let reasons: Vec<&str> = rejects.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "`x`: `1 234` is not a number",
            "`x`: `1e3` is not a number",
            "`x`: `+5` is not a number",
            "`x`: `€5` is not a number",
            "the record has 4 cells but the header has 3",
        ]
    );
}

#[test]
fn trailing_empty_cells_are_harmless() {
    let model = scheme_with("id text key\nx int");
    let (rows, rejects) = csv("id,x\n1,2,,\n2,3, \n", &model);
    assert_eq!(rows.len(), 2);
    assert!(rejects.is_empty());
}

#[test]
fn long_cells_are_shortened_in_reasons() {
    let model = scheme_with("id text key\nx int");
    let long = "9".repeat(30) + &"x".repeat(100);
    let (_, rejects) = csv(&format!("id,x\n1,{long}\n"), &model);
    assert_eq!(
        rejects[0].reason,
        format!("`x`: `{}…` is not a number", &long[..40])
    );
}

#[test]
fn json_numbers_stay_exact() {
    let model = model();
    let src = r#"[{"id": "a", "营业额": 0.1, "orders": 1},
                 {"id": "b", "营业额": 12345678901234567890.123456789, "orders": 12345678901234567890},
                 {"id": "c", "营业额": 0.30000000000000004, "orders": -0}]"#;
    let (rows, rejects) = read(
        src.as_bytes(),
        Format::Json,
        &ReadOptions::default(),
        &model,
    );
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(rows[0].values[1], num("0.1"));
    assert_eq!(show(&rows[0].values[1]), "0.1");
    assert_eq!(show(&rows[1].values[1]), "12345678901234567890.123456789");
    assert_eq!(rows[1].values[2], num("12345678901234567890"));
    assert_eq!(show(&rows[2].values[1]), "0.30000000000000004");
    assert_eq!(rows[2].values[2], num("0"));
    // The same through JSON Lines.
    let (rows, _) = read(
        b"{\"id\": \"a\", \"\\u8425\\u4e1a\\u989d\": 0.1, \"orders\": 1}\n",
        Format::Jsonl,
        &ReadOptions::default(),
        &model,
    );
    assert_eq!(show(&rows[0].values[1]), "0.1");
}

#[test]
fn json_values_fit_their_types() {
    let model = model();
    let (rows, rejects) = read_all(
        &fixtures().join("customers.json"),
        &ReadOptions::default(),
        &model,
    )
    .unwrap();
    let by_key = |k: &str| rows.iter().find(|r| r.values[0] == text(k)).unwrap();
    // JSON true and 1 are booleans; "2024/05/16" a date; a string holding a number is a number;
    // 3.0 is a whole number; 1e3 is 1000; a number key is its text.
    assert_eq!(by_key("00017").values[3], Value::Bool(true));
    assert_eq!(by_key("00017").values[4], date("2024-05-16"));
    assert_eq!(by_key("00018").values[2], num("3"));
    assert_eq!(by_key("00018").values[3], Value::Bool(true));
    assert_eq!(by_key("00018").values[4], Value::Missing);
    assert_eq!(by_key("00020").values[1], num("1000"));
    assert_eq!(by_key("00020").values[2], num("7"));
    assert_eq!(by_key("00020").values[3], Value::Bool(true));
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[1].line, 3);
    let lines: Vec<(u64, &str)> = rejects
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(lines[0], (4, "`orders`: `1.5` is not a whole number"));
    assert_eq!(lines[1], (10, "`revenue`: the record has no `营业额`"));
    assert_eq!(lines[2], (11, "`revenue`: empty required cell"));
    assert_eq!(lines[3], (12, "duplicate key `00017` (first on line 2)"));
    assert_eq!(lines[4], (13, "the array item is not a json object"));
    assert!(
        lines[5].0 == 14 && lines[5].1.starts_with("not a valid json object"),
        "{:?}",
        lines[5]
    );
    assert_eq!(lines[6], (15, "`revenue`: a json list cannot be a cell"));
}

#[test]
fn json_structure_errors_are_fatal_with_a_line() {
    let model = model();
    let cases: [(&str, &str); 5] = [
        ("{\"id\": 1}", "`j` line 1: expected a json array of objects (`[{...}, ...]`); for one object per line, use the jsonl format"),
        ("[\n{\"id\": \"1\", \"营业额\": 1, \"orders\": 1}\n", "`j` line 3: the array is not closed: expected `]`"),
        ("[{\"id\": \"1\"} {\"id\": \"2\"}]", "`j` line 1: expected `,` or `]` after an array item"),
        ("[{\"id\": \"1\"}] x", "`j` line 1: unexpected text after the closing `]`"),
        ("[{\"id\": \"1\n\n", "`j` line 3: the file ends inside a value"),
    ];
    for (src, msg) in cases {
        let err = read_all_bytes(
            src.as_bytes().to_vec(),
            "j",
            Format::Json,
            &ReadOptions::default(),
            &model,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), msg);
    }
}

#[test]
fn format_by_extension_or_name() {
    assert_eq!(Format::from_path(Path::new("a/b.CSV")), Some(Format::Csv));
    assert_eq!(Format::from_path(Path::new("b.jsonl")), Some(Format::Jsonl));
    assert_eq!(Format::from_path(Path::new("b.xlsx")), Some(Format::Xlsx));
    assert_eq!(Format::from_path(Path::new("b.txt")), None);
    assert_eq!(Format::from_str("JSON").unwrap(), Format::Json);
    assert_eq!(
        Format::from_str("parquet").unwrap_err().to_string(),
        "unknown data format `parquet`"
    );
    assert_eq!(encoding_for_label("gbk").unwrap().name(), "GBK");
    assert_eq!(encoding_for_label("utf8").unwrap(), encoding_rs::UTF_8);
    assert_eq!(
        encoding_for_label("latin-9").unwrap_err().to_string(),
        "unknown encoding `latin-9`"
    );
    let model = model();
    let err = Reader::open(Path::new("customers.txt"), &ReadOptions::default(), &model)
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "cannot tell the data format of `customers.txt` from its extension"
    );
    let err = Reader::open(
        Path::new("/nonexistent/c.csv"),
        &ReadOptions::default(),
        &model,
    )
    .err()
    .unwrap();
    assert!(
        err.to_string()
            .starts_with("cannot read `/nonexistent/c.csv`: "),
        "{err}"
    );
    let options = ReadOptions {
        encoding: Some(encoding_rs::GB18030),
        ..ReadOptions::default()
    };
    let err = read_all_bytes(b"[]".to_vec(), "j.json", Format::Json, &options, &model).unwrap_err();
    assert_eq!(
        err.to_string(),
        "an encoding only applies to csv files, not to `j.json`"
    );
}

#[test]
fn batches_reuse_buffers_and_keep_order() {
    let model = model();
    let path = fixtures().join("customers.csv");
    let (all_rows, all_rejects) = read_all(&path, &ReadOptions::default(), &model).unwrap();
    for size in [1, 2, 5, 1000] {
        let (mut reader, parser) = open(&path, &ReadOptions::default(), &model).unwrap();
        let mut keys = KeyTracker::new(&model);
        let mut batch = Vec::new();
        let (mut rows, mut rejects) = (Vec::new(), Vec::new());
        let mut total = 0;
        while reader.fill_batch(&mut batch, size).unwrap() > 0 {
            assert!(batch.len() <= size);
            total += batch.len();
            for rec in &batch {
                match parser
                    .parse(rec)
                    .and_then(|row| keys.check(&row).map(|()| row))
                {
                    Ok(r) => rows.push(r),
                    Err(r) => rejects.push(r),
                }
            }
        }
        assert_eq!(total, 12);
        assert_eq!(rows, all_rows);
        assert_eq!(rejects, all_rejects);
        assert!(reader.next_batch(10).unwrap().is_empty());
    }
}

#[test]
fn row_parser_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    fn sent<T: Send>() {}
    shared::<RowParser>();
    shared::<RawRecord>();
    sent::<Reader>();
}

#[test]
fn hand_built_records() {
    let model = scheme_with("id text key\nx decimal\nd date?");
    let parser = RowParser::new("mem", &model, &["id".into(), "x".into(), "d".into()]).unwrap();
    let row = parser
        .parse(&RawRecord::from_text(7, &["k", "1.5", "2024/01/02"]))
        .unwrap();
    assert_eq!(row.line, 7);
    assert_eq!(row.values, vec![text("k"), num("1.5"), date("2024-01-02")]);
    let row = parser
        .parse(&RawRecord::from_cells(
            8,
            vec![
                RawCell::Number("9".into()),
                RawCell::Number("0.25".into()),
                RawCell::Empty,
            ],
        ))
        .unwrap();
    assert_eq!(row.values, vec![text("9"), num("0.25"), Value::Missing]);
    // Into a reused buffer: the same values, whatever the buffer held.
    let mut buf = vec![Value::Bool(true); 9];
    let rec = RawRecord::from_text(7, &["k", "1.5", "2024/01/02"]);
    parser.parse_into(&rec, &mut buf).unwrap();
    assert_eq!(buf, parser.parse(&rec).unwrap().values);
    let rej = parser
        .parse(&RawRecord::broken(9, "the line is not a json object"))
        .unwrap_err();
    assert_eq!(
        rej,
        Reject {
            line: 9,
            column: None,
            reason: "the line is not a json object".into(),
            key: None
        }
    );
}

// ---- xlsx -------------------------------------------------------------------------------

enum X<'a> {
    /// An inline string.
    S(&'a str),
    /// A shared string (index into the shared string table).
    Shared(usize),
    /// A number as Excel stores it.
    N(&'a str),
    /// A date serial with a date style.
    D(f64),
    B(bool),
    E(&'a str),
    Empty,
}

fn col_name(i: usize) -> String {
    ((b'A' + i as u8) as char).to_string()
}

fn sheet_xml(first_row: usize, rows: &[Vec<X>]) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (i, row) in rows.iter().enumerate() {
        let r = first_row + i;
        let _ = write!(s, r#"<row r="{r}">"#);
        for (j, c) in row.iter().enumerate() {
            let at = format!("{}{r}", col_name(j));
            let _ = match c {
                X::S(t) => write!(s, r#"<c r="{at}" t="inlineStr"><is><t>{t}</t></is></c>"#),
                X::Shared(k) => write!(s, r#"<c r="{at}" t="s"><v>{k}</v></c>"#),
                X::N(v) => write!(s, r#"<c r="{at}"><v>{v}</v></c>"#),
                X::D(v) => write!(s, r#"<c r="{at}" s="1"><v>{v}</v></c>"#),
                X::B(b) => write!(s, r#"<c r="{at}" t="b"><v>{}</v></c>"#, u8::from(*b)),
                X::E(e) => write!(s, r#"<c r="{at}" t="e"><v>{e}</v></c>"#),
                X::Empty => Ok(()),
            };
        }
        s.push_str("</row>");
    }
    s.push_str("</sheetData></worksheet>");
    s
}

/// A workbook with the given sheets (name, first row, rows) and shared strings.
fn workbook(sheets: &[(&str, usize, Vec<Vec<X>>)], shared: &[&str]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut put = |name: &str, body: &str| {
        z.start_file(name, opts).unwrap();
        z.write_all(body.as_bytes()).unwrap();
    };
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>"#,
    );
    let mut book = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>"#,
    );
    for (i, (name, first_row, rows)) in sheets.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            types,
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
        let _ = write!(
            book,
            r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#
        );
        let _ = write!(
            rels,
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        );
        put(
            &format!("xl/worksheets/sheet{n}.xml"),
            &sheet_xml(*first_row, rows),
        );
    }
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    rels.push_str("</Relationships>");
    put("[Content_Types].xml", &types);
    put(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    put("xl/workbook.xml", &book);
    put("xl/_rels/workbook.xml.rels", &rels);
    put(
        "xl/styles.xml",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#,
    );
    let mut sst = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{0}" uniqueCount="{0}">"#,
        shared.len()
    );
    for s in shared {
        let _ = write!(sst, "<si><t>{s}</t></si>");
    }
    sst.push_str("</sst>");
    put("xl/sharedStrings.xml", &sst);
    z.finish().unwrap().into_inner()
}

/// The Excel serial of a date (1900 system).
fn serial(d: &str) -> f64 {
    f64::from(Date::parse(d).unwrap().0 + 25_569)
}

fn customers_workbook() -> Vec<u8> {
    use X::*;
    let header = || {
        vec![
            Shared(0),
            Shared(1),
            S("orders"),
            S("vip"),
            S("last_order"),
            S("region"),
        ]
    };
    let data = vec![
        header(),
        vec![
            Shared(2),
            N("0.1"),
            N("3"),
            B(true),
            D(serial("2024-05-16")),
            S("north"),
        ],
        vec![
            S("00018"),
            N("1234.5"),
            N("0"),
            S("否"),
            D(serial("2024-05-17") + 0.75),
            Empty,
        ],
        vec![
            S("00019"),
            N("0.30000000000000004"),
            N("12"),
            N("1"),
            S("2024/05/18"),
            N("17"),
        ],
        vec![S("00020"), E("#N/A"), N("1"), Empty, Empty, Empty],
        vec![Empty, Empty, Empty, Empty, Empty, Empty],
        vec![N("21"), N("1E+21"), N("1.5"), B(false), N("45432"), Empty],
        vec![Shared(2), N("5"), N("1"), Empty, Empty, Empty],
        vec![S("00022"), S("1,23"), N("2"), Empty, Empty, Empty],
    ];
    let other = vec![
        vec![S("id"), S("营业额"), S("orders")],
        vec![S("x1"), N("2.5"), N("4")],
    ];
    workbook(
        &[("Sheet1", 3, data), ("客户", 1, other)],
        &["id", "营业额", "00017"],
    )
}

#[test]
fn xlsx_first_sheet() {
    let model = model();
    let (rows, rejects) = read(
        &customers_workbook(),
        Format::Xlsx,
        &ReadOptions::default(),
        &model,
    );
    insta::assert_snapshot!(render(&model, &rows, &rejects));
    // Rejects carry the sheet's cells as text.
    let reader = Reader::from_bytes(
        customers_workbook(),
        "book.xlsx",
        Format::Xlsx,
        &ReadOptions::default(),
        &model,
    )
    .unwrap();
    let originals = OriginalRows::read(reader, rejects.iter().map(|r| r.line)).unwrap();
    let t = RejectTable::new(&rejects, &originals);
    assert_eq!(
        t.rows[0][..5],
        [
            "7",
            "营业额",
            "00020",
            "`revenue`: the excel error #N/A cannot be a cell",
            "book.xlsx"
        ]
    );
    assert_eq!(t.rows[0][5..7], ["00020", "the excel error #N/A"]);
    // Lines are sheet rows: the header is on row 3.
    assert_eq!(rows[0].line, 4);
    assert_eq!(
        rows[0].values,
        vec![
            text("00017"),
            num("0.1"),
            num("3"),
            Value::Bool(true),
            date("2024-05-16"),
            text("north")
        ]
    );
    // The time of day is dropped from a date-time.
    assert_eq!(rows[1].values[4], date("2024-05-17"));
    assert_eq!(rows[1].values[3], Value::Bool(false));
    // The float nearest 0.1 + 0.2 reads as its shortest round-trip text; a text field given a
    // number gets its text; a date as text is parsed.
    assert_eq!(show(&rows[2].values[1]), "0.30000000000000004");
    assert_eq!(rows[2].values[5], text("17"));
    assert_eq!(rows[2].values[4], date("2024-05-18"));
    let reasons: Vec<(u64, &str)> = rejects
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (7, "`revenue`: the excel error #N/A cannot be a cell"),
            (9, "`orders`: `1.5` is not a whole number"),
            (10, "duplicate key `00017` (first on line 4)"),
            (
                11,
                "`revenue`: `1,23` is not a number (thousands separators go between groups of three digits: 12,345.67)"
            ),
        ]
    );
}

#[test]
fn xlsx_named_sheet() {
    let model = scheme_with("id text key\nrevenue decimal \"营业额\"\norders int");
    let options = ReadOptions {
        sheet: Some("客户".into()),
        ..ReadOptions::default()
    };
    let (rows, rejects) = read(&customers_workbook(), Format::Xlsx, &options, &model);
    assert!(rejects.is_empty());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[0].values, vec![text("x1"), num("2.5"), num("4")]);
    let options = ReadOptions {
        sheet: Some("Sheet9".into()),
        ..ReadOptions::default()
    };
    let err = read_all_bytes(
        customers_workbook(),
        "b.xlsx",
        Format::Xlsx,
        &options,
        &model,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`b.xlsx` has no sheet `Sheet9`; the sheets are `Sheet1`, `客户`"
    );
}

#[test]
fn xlsx_from_a_file_by_extension() {
    let dir = std::env::temp_dir().join(format!("rubric-eval-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("customers.xlsx");
    std::fs::write(&path, customers_workbook()).unwrap();
    let (rows, _) = read_all(&path, &ReadOptions::default(), &model()).unwrap();
    assert_eq!(rows.len(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn not_a_workbook_is_an_error() {
    let err = read_all_bytes(
        b"id,x\n".to_vec(),
        "b.xlsx",
        Format::Xlsx,
        &ReadOptions::default(),
        &model(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot read the workbook `b.xlsx`: not an excel workbook (.xlsx, .xls, .xlsb or .ods)"
    );
    // A zip that is not a workbook: calamine's own reason.
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("a.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(b"hello").unwrap();
    let bytes = z.finish().unwrap().into_inner();
    let err = read_all_bytes(
        bytes,
        "z.xlsx",
        Format::Xlsx,
        &ReadOptions::default(),
        &model(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot read the workbook `z.xlsx`: "),
        "{err}"
    );
}

// ---- writers ----------------------------------------------------------------------------

fn columns() -> Vec<OutputColumn> {
    vec![
        OutputColumn::new("id", ColumnKind::Text),
        OutputColumn::new("score", ColumnKind::Number),
        OutputColumn::new("tier", ColumnKind::Code),
        OutputColumn::new("flags", ColumnKind::Tags),
        OutputColumn::new("active", ColumnKind::Bool),
        OutputColumn::new("since", ColumnKind::Date),
    ]
}

type Row<'a> = [Option<&'a str>; 6];

fn rows<'a>() -> Vec<Row<'a>> {
    vec![
        [
            Some("00017"),
            Some("81.75"),
            Some("gold"),
            Some("vip;new"),
            Some("true"),
            Some("2024-05-16"),
        ],
        [
            Some("a,\"b\"\nc"),
            None,
            Some("钻石"),
            Some(""),
            Some("false"),
            None,
        ],
        [
            Some(" x "),
            Some("-0.5"),
            None,
            None,
            None,
            Some("2024-01-01"),
        ],
    ]
}

fn write_all(format: OutputFormat, rows: &[Row]) -> String {
    let mut w = RecordWriter::new(Vec::new(), "out", format, columns()).unwrap();
    for r in rows {
        w.write_row(r).unwrap();
    }
    assert_eq!(w.rows(), rows.len() as u64);
    String::from_utf8(w.finish().unwrap()).unwrap()
}

#[test]
fn csv_output_quotes_as_rfc_4180() {
    assert_eq!(
        write_all(OutputFormat::Csv, &rows()),
        "id,score,tier,flags,active,since\n00017,81.75,gold,vip;new,true,2024-05-16\n\"a,\"\"b\"\"\nc\",,钻石,,false,\n x ,-0.5,,,,2024-01-01\n",
    );
    assert_eq!(
        write_all(OutputFormat::Csv, &[]),
        "id,score,tier,flags,active,since\n"
    );
}

#[test]
fn json_output_types_its_values() {
    let json = write_all(OutputFormat::Json, &rows());
    insta::assert_snapshot!(json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["score"], serde_json::json!(81.75));
    assert_eq!(v[0]["flags"], serde_json::json!(["vip", "new"]));
    assert_eq!(v[0]["active"], serde_json::json!(true));
    assert_eq!(v[1]["flags"], serde_json::json!([]));
    assert_eq!(v[1]["score"], serde_json::Value::Null);
    assert_eq!(v[1]["id"], serde_json::json!("a,\"b\"\nc"));
    assert_eq!(v[2]["flags"], serde_json::Value::Null);
    // Keys in column order.
    assert!(json.find("\"id\"").unwrap() < json.find("\"since\"").unwrap());
    assert_eq!(write_all(OutputFormat::Json, &[]), "[]\n");
}

#[test]
fn jsonl_output_is_one_object_per_line() {
    let out = write_all(OutputFormat::Jsonl, &rows());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        r#"{"id":"00017","score":81.75,"tier":"gold","flags":["vip","new"],"active":true,"since":"2024-05-16"}"#
    );
    for l in lines {
        let _: serde_json::Value = serde_json::from_str(l).unwrap();
    }
    assert_eq!(write_all(OutputFormat::Jsonl, &[]), "");
}

#[test]
fn json_never_writes_an_invalid_number() {
    let cols = vec![
        OutputColumn::new("n", ColumnKind::Number),
        OutputColumn::new("b", ColumnKind::Bool),
    ];
    let mut w = RecordWriter::new(Vec::new(), "o", OutputFormat::Jsonl, cols).unwrap();
    for (n, b) in [
        ("007", "yes"),
        ("1.", "1"),
        ("NaN", "TRUE"),
        ("-", ""),
        ("1e5", "false"),
        ("12345678901234567890.123456789", "true"),
    ] {
        w.write_row(&[Some(n), Some(b)]).unwrap();
    }
    let out = String::from_utf8(w.finish().unwrap()).unwrap();
    assert_eq!(
        out,
        "{\"n\":\"007\",\"b\":\"yes\"}\n{\"n\":\"1.\",\"b\":\"1\"}\n{\"n\":\"NaN\",\"b\":\"TRUE\"}\n{\"n\":\"-\",\"b\":\"\"}\n{\"n\":1e5,\"b\":false}\n{\"n\":12345678901234567890.123456789,\"b\":true}\n"
    );
}

#[test]
fn rows_of_the_wrong_width_are_errors_not_panics() {
    let mut w = RecordWriter::new(Vec::new(), "o", OutputFormat::Json, columns()).unwrap();
    let err = w.write_row(&[Some("1")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("a row has 1 cells but there are 6 columns"),
        "{err}"
    );
    let mut w = RecordWriter::new(Vec::new(), "o", OutputFormat::Csv, columns()).unwrap();
    let err = w.write_row(&[None; 7]).unwrap_err();
    assert!(err.to_string().contains("more than 6 cells"), "{err}");
    // With no columns at all, rows are empty objects.
    let mut w = RecordWriter::new(Vec::new(), "o", OutputFormat::Json, vec![]).unwrap();
    w.write_row(&[]).unwrap();
    w.write_row(&[]).unwrap();
    assert_eq!(
        String::from_utf8(w.finish().unwrap()).unwrap(),
        "[\n{},\n{}\n]\n"
    );
}

#[test]
fn rejects_file() {
    let model = model();
    let (_, rejects) = read_all(
        &fixtures().join("customers.csv"),
        &ReadOptions::default(),
        &model,
    )
    .unwrap();
    let path = fixtures().join("customers.csv");
    let reader = Reader::open(&path, &ReadOptions::default(), &model).unwrap();
    let originals = OriginalRows::read(reader, rejects.iter().map(|r| r.line)).unwrap();
    let mut w = RejectWriter::new(Vec::new(), "rejects.csv").unwrap();
    w.write_table(&RejectTable::new(&rejects, &originals))
        .unwrap();
    assert_eq!(w.rows(), 7);
    let out = String::from_utf8(w.finish().unwrap()).unwrap();
    let out = out.replace(&*path.to_string_lossy(), "customers.csv");
    insta::assert_snapshot!(out);
    // the original cells as read, under their headers, after the reject's own columns
    assert!(out.starts_with(
        "line,column,key,reason,file,id,营业额,orders,vip,last_order,region,notes\n8,营业额,00021,"
    ));
    assert!(out.contains(",customers.csv,00021,\"1,23\",1,true,2024-01-01,west,"));
    // a short record keeps the cells it has
    assert!(out.contains(
        "14,,00026,the record has 6 cells but the header has 7,customers.csv,00026,10,3,0,2024-02-29,west,\n"
    ));
}

/// Rejects of JSON, JSONL and XLSX inputs carry their original values as text, and a long CSV
/// record its extra cells.
#[test]
fn rejects_carry_original_cells_of_every_format() {
    let model = scheme_with("id text key\nx decimal\nd date?");
    let table = |bytes: &[u8], format: Format| {
        let (_, rejects) = read(bytes, format, &ReadOptions::default(), &model);
        let reader = Reader::from_bytes(
            bytes.to_vec(),
            "in",
            format,
            &ReadOptions::default(),
            &model,
        )
        .unwrap();
        let originals = OriginalRows::read(reader, rejects.iter().map(|r| r.line)).unwrap();
        RejectTable::new(&rejects, &originals)
    };
    let t = table(
        b"[\n{\"id\": \"a\", \"x\": 1.50},\n{\"id\": \"b\", \"x\": true},\n{\"id\": \"c\", \"x\": 2, \"d\": \"2024-02-30\"},\n{\"id\": \"a\", \"x\": 3.0}\n]",
        Format::Json,
    );
    assert_eq!(
        t.header,
        ["line", "column", "key", "reason", "file", "id", "x", "d"]
    );
    assert_eq!(t.rows[0][4..], ["in", "b", "true", ""]);
    assert_eq!(t.rows[1][4..], ["in", "c", "2", "2024-02-30"]);
    assert_eq!(
        t.rows[2][..4],
        ["5", "id", "a", "duplicate key `a` (first on line 2)"]
    );
    assert_eq!(t.rows[2][5..], ["a", "3.0", ""]);
    let t = table(b"{\"id\":\"c\",\"x\":\"1,23\"}\nnot json\n", Format::Jsonl);
    assert_eq!(t.rows[0][5..], ["c", "1,23", ""]);
    assert_eq!(t.rows[1][5..], ["", "", ""]);
    let t = table(b"id,x,d\nk,1,,extra,\nm,1,2024-5-6\n", Format::Csv);
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.header[5..], ["id", "x", "d", ""]);
    assert_eq!(t.rows[0][5..], ["k", "1", "", "extra"]);
}

// ---- garbage ------------------------------------------------------------------------------

/// A deterministic byte generator (xorshift).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Bytes biased towards the characters that matter to the parsers.
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        const SPECIAL: &[u8] = b",\"\n\r{}[]:\\ -.0123456789eE\xef\xbb\xbf\xe6\x98\xaf";
        (0..n)
            .map(|_| {
                let r = self.next();
                if r.is_multiple_of(3) {
                    (r >> 8) as u8
                } else {
                    SPECIAL[(r >> 8) as usize % SPECIAL.len()]
                }
            })
            .collect()
    }
}

#[test]
fn garbage_never_panics() {
    let model = model();
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let prefixes: [&[u8]; 6] = [
        b"PK\x03\x04",
        &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
        b"",
        b"id,\xe8\x90\xa5\xe4\xb8\x9a\xe9\xa2\x9d,orders\n",
        b"[{\"id\":",
        b"{\"id\": \"1\", ",
    ];
    for i in 0..600 {
        let len = (noise.next() % 300) as usize;
        let mut bytes = prefixes[i % prefixes.len()].to_vec();
        bytes.extend(noise.bytes(len));
        for format in [Format::Csv, Format::Json, Format::Jsonl, Format::Xlsx] {
            for encoding in [None, Some(encoding_rs::GB18030)] {
                let options = ReadOptions {
                    encoding: encoding.filter(|_| format == Format::Csv),
                    ..ReadOptions::default()
                };
                // Either an error or rows and rejects; every record is accounted for.
                if let Ok(mut reader) =
                    Reader::from_bytes(bytes.clone(), "g", format, &options, &model)
                {
                    let parser = reader.row_parser(&model);
                    while let Ok(batch) = reader.next_batch(7) {
                        if batch.is_empty() {
                            break;
                        }
                        if let Ok(p) = &parser {
                            for rec in &batch {
                                let _ = p.parse(rec);
                            }
                        }
                    }
                }
            }
        }
    }
    // Cells alone, through every field type.
    let parser = RowParser::new(
        "g",
        &model,
        &["id", "营业额", "orders", "vip", "last_order", "region"].map(String::from),
    )
    .unwrap();
    for _ in 0..3000 {
        let cells: Vec<Vec<u8>> = (0..6)
            .map(|_| {
                let n = (noise.next() % 40) as usize;
                noise.bytes(n)
            })
            .collect();
        let mut rec = record::ByteRow::default();
        for c in &cells {
            rec.push_field(c);
        }
        let _ = parser.parse(&RawRecord {
            line: 2,
            cells: record::Cells::Bytes(rec),
        });
        let typed: Vec<RawCell> = cells
            .iter()
            .map(|c| RawCell::Number(String::from_utf8_lossy(c).into_owned()))
            .collect();
        let _ = parser.parse(&RawRecord::from_cells(2, typed));
    }
}

#[test]
fn damaged_workbooks_never_panic() {
    let model = model();
    let good = customers_workbook();
    let mut noise = Noise(0x2545_F491_4F6C_DD1D);
    for _ in 0..300 {
        let mut bytes = good.clone();
        for _ in 0..(1 + noise.next() % 8) {
            let at = (noise.next() as usize) % bytes.len();
            bytes[at] = noise.next() as u8;
        }
        if noise.next().is_multiple_of(5) {
            let cut = (noise.next() as usize) % bytes.len();
            bytes.truncate(cut);
        }
        if let Ok(mut reader) = Reader::from_bytes(
            bytes,
            "d.xlsx",
            Format::Xlsx,
            &ReadOptions::default(),
            &model,
        ) {
            if let Ok(parser) = reader.row_parser(&model) {
                while let Ok(batch) = reader.next_batch(3) {
                    if batch.is_empty() {
                        break;
                    }
                    for rec in &batch {
                        let _ = parser.parse(rec);
                    }
                }
            }
        }
    }
}

#[test]
fn gb18030_fixture_reads_like_its_utf8_original() {
    let model = model();
    let utf8 = read_all(
        &fixtures().join("customers.csv"),
        &ReadOptions::default(),
        &model,
    )
    .unwrap();
    let options = ReadOptions {
        encoding: Some(encoding_for_label("gb18030").unwrap()),
        ..ReadOptions::default()
    };
    let gb = read_all(&fixtures().join("customers-gb18030.csv"), &options, &model).unwrap();
    assert_eq!(gb, utf8);
    // Read as UTF-8 by mistake, its Chinese header is not found.
    let err = read_all(
        &fixtures().join("customers-gb18030.csv"),
        &ReadOptions::default(),
        &model,
    )
    .unwrap_err();
    assert!(matches!(err, DataError::HeaderNotUtf8 { .. }), "{err}");
}

/// Reads `bytes` through a reader that yields `step` bytes at a time.
fn read_trickled(
    bytes: &[u8],
    step: usize,
    format: Format,
    model: &Model,
) -> (Vec<InputRow>, Vec<Reject>) {
    let input = Trickle {
        data: bytes.to_vec(),
        at: 0,
        step,
    };
    let mut reader =
        Reader::from_read(Box::new(input), "t", format, &ReadOptions::default(), model).unwrap();
    let parser = reader.row_parser(model).unwrap();
    let mut keys = KeyTracker::new(model);
    let (mut rows, mut rejects) = (Vec::new(), Vec::new());
    loop {
        let batch = reader.next_batch(2).unwrap();
        if batch.is_empty() {
            break;
        }
        for rec in &batch {
            match parser
                .parse(rec)
                .and_then(|row| keys.check(&row).map(|()| row))
            {
                Ok(r) => rows.push(r),
                Err(r) => rejects.push(r),
            }
        }
    }
    (rows, rejects)
}

#[test]
fn chunk_boundaries_do_not_move_lines() {
    let model = scheme_with("id text key\nnote text?");
    let csv_src =
        "\u{feff}id,note\r\n\r\n1,\"a\r\nb\"\r\n\n\n2,x\r\n1,dup\n\"3\",\"\"\"q\"\"\"\r\n4\n";
    // Old Mac Excel ends lines with a lone CR.
    let mac_src = "id,note\r1,\"a\rb\"\r\r2,x\r1,dup\r";
    let json_src = "\u{feff}[\n {\"id\": \"1\", \"note\": \"a\\\"}\\\\\"},\n\n {\"id\": \"2\",\n  \"note\": \"[{\"}, {\"id\": \"1\"},\n {\"id\": \"3\"}\n]\n";
    let jsonl_src =
        "\u{feff}{\"id\": \"1\"}\r\n\n{\"id\": \"2\", \"note\": \"x\\ny\"}\n{\"id\": \"1\"}\n";
    for (src, format) in [
        (mac_src, Format::Csv),
        (csv_src, Format::Csv),
        (json_src, Format::Json),
        (jsonl_src, Format::Jsonl),
    ] {
        let whole = read(src.as_bytes(), format, &ReadOptions::default(), &model);
        for step in [1, 2, 3, 4, 5, 7] {
            assert_eq!(
                read_trickled(src.as_bytes(), step, format, &model),
                whole,
                "{format} step {step}"
            );
        }
        let lines: Vec<u64> = whole.0.iter().map(|r| r.line).collect();
        let reject_lines: Vec<u64> = whole.1.iter().map(|r| r.line).collect();
        match format {
            Format::Csv if src == mac_src => {
                assert_eq!(lines, vec![2, 5]);
                assert_eq!(reject_lines, vec![6]);
                assert_eq!(whole.0[0].values[1], text("a\rb"));
            }
            Format::Csv => {
                assert_eq!(lines, vec![3, 7, 9]);
                assert_eq!(reject_lines, vec![8, 10]);
                assert_eq!(whole.0[0].values[1], text("a\r\nb"));
                assert_eq!(whole.0[2].values[1], text("\"q\""));
                assert_eq!(
                    whole.1[1].reason,
                    "the record has 1 cell but the header has 2"
                );
            }
            Format::Json => {
                assert_eq!(lines, vec![2, 4, 6]);
                assert_eq!(reject_lines, vec![5]);
                assert_eq!(whole.0[0].values[1], text("a\"}\\"));
                assert_eq!(whole.0[1].values[1], text("[{"));
            }
            _ => {
                assert_eq!(lines, vec![1, 3]);
                assert_eq!(reject_lines, vec![4]);
                assert_eq!(whole.0[1].values[1], text("x\ny"));
            }
        }
    }
}

#[test]
fn xlsx_header_below_a_title_row() {
    use X::*;
    let model = scheme_with("id text key\nrevenue decimal \"营业额\"\nnote text?");
    let rows = vec![
        vec![S("2024 年客户名单"), Empty, Empty],
        vec![Empty, Empty, Empty],
        vec![S("id"), S("营业额"), S("备注")],
        vec![S("a"), N("1.5"), S("x")],
        vec![S("b"), N("2"), Empty],
    ];
    let book = workbook(&[("报表", 1, rows)], &[]);
    let reader = Reader::from_bytes(
        book.clone(),
        "r.xlsx",
        Format::Xlsx,
        &ReadOptions::default(),
        &model,
    )
    .unwrap();
    assert_eq!(reader.header(), ["id", "营业额", "备注"]);
    assert_eq!(reader.header_line(), 3);
    let (rows, rejects) = read(&book, Format::Xlsx, &ReadOptions::default(), &model);
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![4, 5]);
    assert_eq!(rows[0].values, vec![text("a"), num("1.5"), Value::Missing]);
    // No row names every required column: the first row is the header, and the error says so.
    let model = scheme_with("id text key\nprofit decimal");
    let err = read_all_bytes(
        book,
        "r.xlsx",
        Format::Xlsx,
        &ReadOptions::default(),
        &model,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`r.xlsx` has no column `id`; the columns are `2024 年客户名单`"
    );
}

#[test]
fn reasons_stay_on_one_line() {
    let model = scheme_with("id text key\nd date");
    let (_, rejects) = csv("id,d\n1,\"2024\n05\t16\"\n2,\"\u{1}x\"\n", &model);
    assert_eq!(rejects[0].line, 2);
    assert_eq!(
        rejects[0].reason,
        "`d`: `2024\\n05\\t16` is not a date (write 2024-05-16, 2024-5-16, 2024/5/16, 2024.5.16, 2024年5月16日 or 20240516)"
    );
    assert_eq!(
        rejects[1].reason,
        "`d`: `\\u{1}x` is not a date (write 2024-05-16, 2024-5-16, 2024/5/16, 2024.5.16, 2024年5月16日 or 20240516)"
    );
}

#[test]
fn tab_and_semicolon_delimiters_are_found_from_the_header() {
    let model = scheme_with("id text key\n名称 text\nrevenue decimal");
    // Excel's "Unicode text": UTF-16LE with BOM, tab-separated, CRLF.
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "id\t名称\trevenue\r\n1\t甲, 乙\t2.5\r\n2\t\"丙\t丁\"\t3\r\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let (rows, rejects) = read(&utf16, Format::Csv, &ReadOptions::default(), &model);
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(rows[0].values, vec![text("1"), text("甲, 乙"), num("2.5")]);
    assert_eq!(rows[1].values, vec![text("2"), text("丙\t丁"), num("3")]);
    assert_eq!(rows[1].line, 3);
    let (rows, rejects) = csv("id;名称;revenue\n1;a,b;2.5\n", &model);
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(rows[0].values, vec![text("1"), text("a,b"), num("2.5")]);
    // A comma header stays comma-separated even with a tab or semicolon in a quoted name.
    let (rows, _) = csv(
        "id,\"名称\t;\",revenue,x\n1,a;b\tc,2.5,\n",
        &scheme_with("id text key\nname text \"名称\t;\""),
    );
    assert_eq!(rows[0].values, vec![text("1"), text("a;b\tc")]);
}

// ---- runs of plain lines ------------------------------------------------------------------

/// A record's line and its cells.
type LineCells = (u64, Vec<Vec<u8>>);

/// Every record of a CSV text as (line, cells), read the way `rubric run` reads (runs of plain
/// lines split by the worker, csv_core for the rest) with a buffer of `chunk` bytes filled
/// `step` bytes at a time and at most `max` records a batch; and how many batches were runs.
fn records_by_batches(
    text: &[u8],
    chunk: usize,
    step: usize,
    max: usize,
) -> (Vec<LineCells>, usize) {
    let model = scheme_with("a text key");
    let input = Trickle {
        data: text.to_vec(),
        at: 0,
        step,
    };
    let Ok(mut reader) = Reader::from_read(
        Box::new(input),
        "t",
        Format::Csv,
        &ReadOptions::default(),
        &model,
    ) else {
        return (Vec::new(), 0);
    };
    reader.set_chunk(chunk);
    let mut batch = record::Batch::default();
    let mut out = Vec::new();
    let mut runs = 0;
    while reader.fill(&mut batch, max).unwrap() > 0 {
        runs += usize::from(!batch.lines.is_empty());
        assert!(batch.len() <= max);
        batch.for_each_rec(&mut |rec| {
            let cells = match rec.bytes() {
                Some(cells) => cells.iter().map(<[u8]>::to_vec).collect(),
                None => vec![BROKEN.to_vec()],
            };
            out.push((rec.line(), cells));
        });
    }
    (out, runs)
}

/// The same, with every record read by csv_core.
fn records_by_csv_core(text: &[u8]) -> Vec<LineCells> {
    let model = scheme_with("a text key");
    let Ok(mut reader) = Reader::from_bytes(
        text.to_vec(),
        "t",
        Format::Csv,
        &ReadOptions::default(),
        &model,
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut recs = Vec::new();
    while reader.fill_batch(&mut recs, 1000).unwrap() > 0 {
        for rec in &recs {
            match &rec.cells {
                record::Cells::Bytes(row) => {
                    out.push((rec.line, row.iter().map(<[u8]>::to_vec).collect()))
                }
                record::Cells::Broken(_) | record::Cells::BrokenLine { .. } => {
                    out.push((rec.line, vec![BROKEN.to_vec()]))
                }
                _ => panic!("a csv record of bytes"),
            }
        }
    }
    out
}

/// How the record helpers above write a record broken by an unterminated quote.
const BROKEN: &[u8] = b"<broken>";

/// The records of a CSV text as the unterminated-quote rule defines them, written as plainly as
/// possible over the whole text in memory: csv_core reads a record from a line; when the record
/// has the wrong number of cells and either spans several lines or holds an odd number of
/// quotes, its first line is broken and reading starts again on the next line.
fn records_with_resync_model(text: &[u8]) -> Vec<LineCells> {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    // line starts, counting `\r\n`, `\n` and a lone `\r` as one break each
    let mut starts = vec![0usize];
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\r' if text.get(i + 1) == Some(&b'\n') => {
                i += 1;
                starts.push(i + 1);
            }
            b'\r' | b'\n' => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    let line_of = |at: usize| starts.partition_point(|&s| s <= at) as u64;
    let delimiter = if text
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or(b"")
        .contains(&b';')
    {
        b';'
    } else if text
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or(b"")
        .contains(&b'\t')
    {
        b'\t'
    } else {
        b','
    };
    let mut out = Vec::new();
    let mut header_len = None;
    let mut at = 0;
    while at < text.len() {
        // skip blank lines
        while at < text.len() && matches!(text[at], b'\n' | b'\r') {
            at += 1;
        }
        if at >= text.len() {
            break;
        }
        let mut core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        let (mut data, mut ends) = (vec![0u8; text.len() + 1], vec![0usize; text.len() + 1]);
        let (res, nin, _, nend) = core.read_record(&text[at..], &mut data, &mut ends);
        let (res, nin, nend) = if matches!(res, csv_core::ReadRecordResult::InputEmpty) {
            let (res2, nin2, _, nend2) = core.read_record(&[], &mut data, &mut ends[nend..]);
            (res2, nin + nin2, nend + nend2)
        } else {
            (res, nin, nend)
        };
        assert!(matches!(res, csv_core::ReadRecordResult::Record), "{res:?}");
        let line = line_of(at);
        let body = &text[at..at + nin];
        let body = &body[..body.len()
            - body
                .iter()
                .rev()
                .take_while(|b| matches!(b, b'\n' | b'\r'))
                .count()];
        let multi_line = body.iter().any(|b| matches!(b, b'\n' | b'\r'));
        let odd = body.iter().filter(|&&b| b == b'"').count() % 2 == 1;
        match header_len {
            None => header_len = Some(nend),
            Some(n) if nend != n && (multi_line || odd) => {
                out.push((line, vec![BROKEN.to_vec()]));
                if multi_line {
                    at = starts[line as usize];
                    continue;
                }
            }
            Some(_) => {
                let mut cells = Vec::new();
                let mut from = 0;
                for &e in &ends[..nend] {
                    cells.push(data[from..e].to_vec());
                    from = e;
                }
                out.push((line, cells));
            }
        }
        at += nin;
    }
    out
}

/// An unterminated quote breaks only the line where it opens: the lines after it are read on
/// their own, by the streaming reader (both its paths, any buffer size) as by the plain model.
#[test]
fn an_unterminated_quote_breaks_only_its_own_line() {
    let cases: Vec<&[u8]> = vec![
        "id,name,n\nA0,乙,1\nA1,\"甲公司,3\nA2,x,2\nA3,y,3\n".as_bytes(),
        b"id,name,n\nA1,\"x,3\nA2,y,2\nA3,\"z,3\nA4,w,4\n",
        b"id,name,n\nA1,\"ok, fine\",3\nA2,\"multi\nline\",2\nA3,\"open,1\n",
        b"id,name,n\r\nA1,\"x,3\r\nA2,y,2\r\n",
        b"id,name,n\nA1,5\" screen,3\nA2,y,2\n",
    ];
    for text in &cases {
        let want = records_with_resync_model(text);
        assert_eq!(
            records_by_csv_core(text),
            want,
            "{:?}",
            String::from_utf8_lossy(text)
        );
        for (chunk, step, max) in [(1 << 20, 1 << 20, 8192), (8, 3, 2), (16, 1, 1)] {
            assert_eq!(records_by_batches(text, chunk, step, max).0, want);
        }
    }
    // the customers behind the stray quote are there, and its own line is broken
    let got = records_by_csv_core(cases[0]);
    let keys: Vec<String> = got
        .iter()
        .map(|(_, c)| String::from_utf8_lossy(&c[0]).into_owned())
        .collect();
    assert_eq!(keys, ["A0", "<broken>", "A2", "A3"]);
    assert_eq!(
        got[1].0, 3,
        "the reject names the line where the quote opened"
    );
}

/// A run of plain lines gives the same records, cells and line numbers as csv_core, wherever
/// the buffer ends and however quoted, blank, CRLF and lone-CR lines are mixed in.
#[test]
fn runs_of_plain_lines_read_as_csv_core_does() {
    let cases: Vec<&[u8]> = vec![
        b"a,b\n1,2\n3,4\n",
        b"a,b\r\n1,2\r\n3,4\r\n",
        b"a,b\n1,2\n3,4",
        b"a,b\n\n\n1,2\n\r\n3,4\n\n",
        b"a,b\n1,\"x\ny\"\n3,4\n5,6\n",
        b"a,b\n1,2\r3,4\n5,6\r\n7,8\r",
        b"a;b;c\n1;2;3\n;;\n4;5\n",
        b"a\tb\n1\t2\n \t \n",
        b"a,b\n\"\"\n,\n,,,\n1,2\n",
        b"a,b\r\r\n1,2\n",
        "名,值\n甲,一\n乙,\"二\"\n丙,三\n".as_bytes(),
        b"\xef\xbb\xbfa,b\n1,2\n",
    ];
    let mut noise = Noise(0x2545_F491_4F6C_DD1D);
    let mut random: Vec<Vec<u8>> = Vec::new();
    for _ in 0..300 {
        const ALPHABET: &[u8] = b"aab1,,,\n\n\n\r\" ";
        let mut text = b"h1,h2\n".to_vec();
        let len = (noise.next() % 120) as usize;
        text.extend((0..len).map(|_| ALPHABET[(noise.next() % ALPHABET.len() as u64) as usize]));
        random.push(text);
    }
    let mut runs = 0;
    for text in cases
        .iter()
        .copied()
        .chain(random.iter().map(Vec::as_slice))
    {
        let want = records_by_csv_core(text);
        assert_eq!(
            want,
            records_with_resync_model(text),
            "{:?}",
            String::from_utf8_lossy(text)
        );
        for (chunk, step, max) in [
            (1 << 20, 1 << 20, 8192),
            (8, 3, 2),
            (16, 1, 1),
            (64, 5, 3),
            (32, 64, 8192),
        ] {
            let (got, r) = records_by_batches(text, chunk, step, max);
            runs += r;
            assert_eq!(
                got,
                want,
                "{:?} (chunk {chunk}, step {step}, max {max})",
                String::from_utf8_lossy(text)
            );
        }
    }
    assert!(
        runs > 1000,
        "only {runs} runs of lines: the test misses that path"
    );
}

/// The cells a block stores (`parse_cells`: plain numbers and dates on a fast path) are the
/// values and rejects `parse` gives, for every field type, required or optional.
#[test]
fn block_cells_are_the_parsed_values() {
    let model = scheme_with(
        "id text key\nn int\ndm decimal\nd date\nb bool\nt text\no_n int?\no_dm decimal?\no_d date?",
    );
    let header: Vec<String> = ["id", "n", "dm", "d", "b", "t", "o_n", "o_dm", "o_d"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let parser = RowParser::new("t", &model, &header).unwrap();
    let cells: Vec<&[u8]> = vec![
        b"0",
        b"1",
        b"-0",
        b"-0.00",
        b"007",
        b"1.",
        b".5",
        b"-.5",
        b"3.0",
        b"1.5",
        b" 12 ",
        b"\t-4\t",
        b"123456789012345678",
        b"-123456789012345678",
        b"1234567890123456789",
        b"0.123456789012345678",
        b"12345678901234567.8",
        b"9223372036854775807",
        b"99999999999999999999.5",
        b"1e3",
        b"1,5",
        b"+1",
        b"-",
        b".",
        b"1..2",
        b"",
        b"  ",
        b"2024-02-29",
        b"2023-02-29",
        b"2024/12/31",
        b"2024-1-01",
        b"true",
        b"NO",
        "是".as_bytes(),
        b"x\xff",
        "客户".as_bytes(),
        b"2147483648",
        b"-2147483648",
        // the forms Excel shows (LANGUAGE.md §9)
        b"12,345.67",
        b"1,234",
        b"1,23",
        b"12.345,6",
        "¥8,800".as_bytes(),
        "￥52,000.50".as_bytes(),
        b"$1,000",
        "¥-5".as_bytes(),
        "-¥5".as_bytes(),
        "8000元".as_bytes(),
        "８８００".as_bytes(),
        "１２，３４５．６７".as_bytes(),
        b"20%",
        b"-2.5%",
        "１００％".as_bytes(),
        b"99,999,999,999,999,999,999.5",
        b"2024-5-6",
        b"2024/5/6",
        b"2024.5.6",
        "2024年5月6日".as_bytes(),
        b"20240506",
        b"5/6/2024",
        b"06/05/2024",
        b"2024-02-30",
        b"2024-13-01",
        "２０２４－０５－１６".as_bytes(),
        "合计".as_bytes(),
        b"Total",
    ];
    let show_cell = |c: &table::Cell<'_>, wide: &[Decimal]| -> Value {
        match *c {
            table::Cell::Missing => Value::Missing,
            table::Cell::Num(m, s) => {
                Value::Num(Decimal::from_parts(m.into(), u32::from(s)).unwrap())
            }
            table::Cell::Wide(i) => Value::Num(wide[i as usize]),
            table::Cell::Date(d) => Value::Date(Date(d)),
            table::Cell::Bool(b) => Value::Bool(b),
            table::Cell::Text(t) => Value::Text(t.into()),
        }
    };
    let mut compared = 0;
    for field in 1..header.len() {
        for cell in &cells {
            let row: Vec<&[u8]> = (0..header.len())
                .map(|i| if i == field { *cell } else { &b"1"[..] })
                .collect();
            // the other cells must be valid for their fields
            let row: Vec<Vec<u8>> = row
                .iter()
                .enumerate()
                .map(|(i, c)| match (i == field, header[i].as_str()) {
                    (true, _) => c.to_vec(),
                    (false, "d" | "o_d") => b"2024-01-01".to_vec(),
                    (false, _) => b"1".to_vec(),
                })
                .collect();
            let text: Vec<String> = row
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            let mut rec = record::ByteRow::default();
            for c in &row {
                rec.push_field(c);
            }
            let rec = RawRecord {
                line: 7,
                cells: record::Cells::Bytes(rec),
            };
            let want = parser.parse(&rec).map(|r| r.values);
            let (mut got_cells, mut wide) = (Vec::new(), Vec::new());
            let got = parser
                .parse_cells(Rec::Raw(&rec), &mut got_cells, &mut wide)
                .map(|()| {
                    got_cells
                        .iter()
                        .map(|c| show_cell(c, &wide))
                        .collect::<Vec<_>>()
                });
            match (&got, &want) {
                (Ok(g), Ok(w)) => {
                    // a number's scale is part of its value in the output (`0.00`)
                    let g: Vec<String> = g.iter().map(|v| format!("{v:?}")).collect();
                    let w: Vec<String> = w.iter().map(|v| format!("{v:?}")).collect();
                    assert_eq!(g, w, "{text:?}");
                }
                _ => assert_eq!(got, want, "{text:?}"),
            }
            compared += 1;
        }
    }
    assert_eq!(compared, cells.len() * (header.len() - 1));
}

/// A reader of CSV `text` and its row parser.
fn csv_bytes(text: &[u8], model: &Model) -> (Reader, RowParser) {
    let options = ReadOptions::default();
    let reader = Reader::from_bytes(text.to_vec(), "t", Format::Csv, &options, model).unwrap();
    let parser = reader.row_parser(model).unwrap();
    (reader, parser)
}

/// A row of block cells as text, a wide number with its value.
fn shown_cells(cells: &[table::Cell<'_>], wide: &[Decimal]) -> Vec<String> {
    cells
        .iter()
        .map(|c| match c {
            table::Cell::Wide(i) => format!("{c:?} {:?}", wide.get(*i as usize)),
            _ => format!("{c:?}"),
        })
        .collect()
}

/// Every record of a CSV text parsed as `rubric run` parses it: runs of plain lines split and
/// parsed in one pass (`parse_lines`), the rest record by record; per record its line and its
/// values or its reject.
fn parsed_by_batches(
    text: &[u8],
    model: &Model,
    chunk: usize,
    max: usize,
) -> Vec<(u64, Result<Vec<String>, Reject>)> {
    let (mut reader, parser) = csv_bytes(text, model);
    reader.set_chunk(chunk);
    let mut batch = record::Batch::default();
    let mut out = Vec::new();
    while reader.fill(&mut batch, max).unwrap() > 0 {
        if batch.lines.is_empty() {
            batch.for_each_rec(&mut |rec| {
                let (mut cells, mut wide) = (Vec::new(), Vec::new());
                let r = parser
                    .parse_cells(rec, &mut cells, &mut wide)
                    .map(|()| shown_cells(&cells, &wide));
                out.push((rec.line(), r));
            });
        } else {
            parser.parse_lines(&batch, &mut |line, r| {
                out.push((line, r.map(|(cells, wide)| shown_cells(cells, wide))));
            });
        }
    }
    out
}

/// The same, every record split by csv_core and parsed by `parse_cells`.
fn parsed_by_records(text: &[u8], model: &Model) -> Vec<(u64, Result<Vec<String>, Reject>)> {
    let (mut reader, parser) = csv_bytes(text, model);
    let mut out = Vec::new();
    let mut recs = Vec::new();
    while reader.fill_batch(&mut recs, 1000).unwrap() > 0 {
        for rec in &recs {
            let (mut cells, mut wide) = (Vec::new(), Vec::new());
            let r = parser
                .parse_cells(Rec::Raw(rec), &mut cells, &mut wide)
                .map(|()| shown_cells(&cells, &wide));
            out.push((rec.line, r));
        }
    }
    out
}

/// Splitting and parsing a plain line in one pass gives the cells and rejects that splitting
/// first and parsing the cells gives: short and long records, bad cells, blank lines, CRLF,
/// quotes and wide numbers.
#[test]
fn lines_parsed_in_one_pass_equal_split_then_parsed() {
    let models = [
        (
            scheme_with("id text key\nn int?\nx decimal?\nd date?"),
            "id,n,x,d\n",
        ),
        (
            scheme_with("id text key\nn int\nx decimal\nd date?"),
            "id,x,n,d,extra\n",
        ),
    ];
    const CELLS: &[&str] = &[
        "1",
        "-2.5",
        "",
        " ",
        "x",
        "2024-01-01",
        "2024-13-01",
        "\"q\"",
        "007",
        "1.",
        "3.0",
        "1e3",
        "99999999999999999999.5",
        "是",
        "a b",
        "-",
        " 4 ",
        "\"1,234.5\"",
        "\"1,23\"",
        "¥88",
        "￥-1.5",
        "8000元",
        "１２，３４５．６",
        "20%",
        "3%",
        "2024-5-6",
        "2024.12.31",
        "2024年5月6日",
        "20240506",
        "5/6/2024",
        "2024-02-30",
        "合计",
        " total ",
    ];
    let mut noise = Noise(0xD1B5_4A32_D192_ED03);
    let mut compared = 0;
    for (model, header) in &models {
        for _ in 0..150 {
            let mut text = header.as_bytes().to_vec();
            for _ in 0..(noise.next() % 12) {
                let n = 1 + noise.next() % 6;
                let cells: Vec<&str> = (0..n)
                    .map(|_| CELLS[(noise.next() % CELLS.len() as u64) as usize])
                    .collect();
                text.extend(cells.join(",").as_bytes());
                text.extend(match noise.next() % 8 {
                    0 => &b"\r\n"[..],
                    1 => b"\n\n",
                    2 => b"\r",
                    _ => b"\n",
                });
            }
            let want = parsed_by_records(&text, model);
            for (chunk, max) in [(1 << 20, 8192), (16, 2), (40, 1)] {
                let got = parsed_by_batches(&text, model, chunk, max);
                assert_eq!(
                    got,
                    want,
                    "{:?} (chunk {chunk}, max {max})",
                    String::from_utf8_lossy(&text)
                );
                compared += got.len();
            }
        }
    }
    assert!(compared > 3000, "only {compared} records compared");
}

/// A totals row (LANGUAGE.md §9) is rejected as such, in every format, and also when its key cell is empty and its first cell says `合计`.
#[test]
fn totals_rows_are_rejected() {
    let model = scheme_with("id text key\nname text?\nx decimal");
    let (rows, rejects) = csv(
        "id,name,x\nc1,a,1\n合计,,1\nc2,b,2\n,合 计,3\nTOTAL:,,4\nc3,合计,5\n总计,,not a number\n",
        &model,
    );
    let kept: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(kept, [2, 4, 7]);
    let got: Vec<(u64, Option<&str>, Option<&str>, &str)> = rejects
        .iter()
        .map(|r| {
            (
                r.line,
                r.column.as_deref(),
                r.key.as_deref(),
                r.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (3, Some("id"), Some("合计"), "totals row"),
            (5, Some("id"), None, "totals row"),
            (6, Some("id"), Some("TOTAL:"), "totals row"),
            (8, Some("id"), Some("总计"), "totals row"),
        ]
    );
    let (rows, rejects) = read(
        b"{\"id\":\"c1\",\"x\":1}\n{\"id\":\"Total\",\"x\":3}\n",
        Format::Jsonl,
        &ReadOptions::default(),
        &model,
    );
    assert_eq!((rows.len(), rejects[0].line), (1, 2));
    assert_eq!(rejects[0].reason, "totals row");
}

/// Reading the rejected rows again finds every one of them across batches, plain lines and
/// quoted records alike, and stops after the last.
#[test]
fn original_rows_are_found_across_batches() {
    let model = scheme_with("id text key\nx decimal");
    let mut text = String::from("id,x\n");
    for i in 0..20_000 {
        if i == 15_000 {
            text.push_str("\"q\nuoted\",bad\n");
        } else if i % 7_000 == 3 {
            text.push_str(&format!("k{i},bad\n"));
        } else {
            text.push_str(&format!("k{i},{i}\n"));
        }
    }
    let (_, rejects) = csv(&text, &model);
    let lines: Vec<u64> = rejects.iter().map(|r| r.line).collect();
    assert_eq!(lines, [5, 7005, 14005, 15002]);
    let reader = Reader::from_bytes(
        text.into_bytes(),
        "in",
        Format::Csv,
        &ReadOptions::default(),
        &model,
    )
    .unwrap();
    let originals = OriginalRows::read(reader, lines.iter().copied()).unwrap();
    let t = RejectTable::new(&rejects, &originals);
    let cells: Vec<&[String]> = t.rows.iter().map(|r| &r[5..]).collect();
    assert_eq!(
        cells,
        [
            &["k3".to_string(), "bad".into()][..],
            &["k7003".to_string(), "bad".into()][..],
            &["k14003".to_string(), "bad".into()][..],
            &["q\nuoted".to_string(), "bad".into()][..],
        ]
    );
}
