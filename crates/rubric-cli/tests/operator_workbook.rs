//! The operator's round trip of the Excel issue, end to end: a zh-CN workbook with every cell
//! form Excel shows, bad cells and a totals row goes in; a real workbook with labels, a summary
//! chart and its rejects (with their original cells) comes out; every row is accounted for.

#![allow(clippy::unwrap_used)]

mod common;

use calamine::{open_workbook, Data, Reader as _, Xlsx};
use common::repo_root;
use std::io::Read;
use std::process::Command;

#[test]
fn a_zh_cn_workbook_goes_in_and_a_workbook_comes_out_with_every_row_accounted_for() {
    let fixture = repo_root().join("tests/fixtures/eval/xlsx-cells");
    let dir = std::env::temp_dir().join(format!("rubric-operator-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // the fixture's scheme with Chinese labels, as an operator writes one
    let scheme = dir.join("tiers.rubric");
    std::fs::write(
        &scheme,
        "input { id text key \"客户编号\", form text \"写法\", revenue decimal \"营业额\", since date \"开户日期\" }\n\
         grade tier \"客户等级\" {\n  gold \"金卡\" when cumulative_share(revenue) <= 50%\n  silver \"银卡\" otherwise\n}\n",
    )
    .unwrap();
    let out = dir.join("结果.xlsx");
    let run = Command::new(env!("CARGO_BIN_EXE_rubric"))
        .args(["run", scheme.to_str().unwrap(), "--data"])
        .arg(fixture.join("data.xlsx"))
        .arg("--out")
        .arg(&out)
        .args(["--measure", "revenue", "--as-of", "2024-06-30"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "rows were rejected: {stderr}");
    // 12 data rows: 7 customers in every form, 4 bad cells, 1 totals row
    assert!(
        stderr.starts_with("read 12 rows: 7 written, 5 rejected"),
        "{stderr}"
    );
    assert!(
        stderr.contains("population: excludes 4 rejected rows"),
        "{stderr}"
    );

    let mut wb: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(wb.sheet_names(), ["结果", "汇总", "拒绝"]);
    let result = wb.worksheet_range("结果").unwrap();
    let header: Vec<&Data> = result.rows().next().unwrap().iter().collect();
    assert_eq!(
        header,
        [
            &Data::String("客户编号".into()),
            &Data::String("tier".into()),
            &Data::String("客户等级 名称".into())
        ]
    );
    let ids: Vec<String> = result.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(ids, ["x01", "x02", "x03", "x04", "x05", "x06", "x07"]);
    assert!(result
        .rows()
        .skip(1)
        .all(|r| matches!(&r[2], Data::String(l) if l == "金卡" || l == "银卡")));

    let summary = wb.worksheet_range("汇总").unwrap();
    assert!(summary
        .rows()
        .any(|r| r.iter().any(|c| *c == Data::String("金卡".into()))));

    let rejects = wb.worksheet_range("拒绝").unwrap();
    let rows: Vec<Vec<String>> = rejects
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 1 + 5, "the header and the five rejected rows");
    let keys: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!(keys, ["r01", "r02", "r03", "r04", "合计"]);
    let totals = rows.iter().find(|r| r[2] == "合计").unwrap();
    assert_eq!(totals[3], "totals row");
    let r02 = rows.iter().find(|r| r[2] == "r02").unwrap();
    assert!(r02[3].contains("no day 30"), "{r02:?}");
    assert!(
        r02.iter().any(|c| c == "2024-02-30"),
        "the original cell: {r02:?}"
    );

    // the summary's chart is a native Excel chart part (a zip keeps each part's name as plain
    // text in its headers)
    let mut bytes = Vec::new();
    std::fs::File::open(&out)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert!(bytes
        .windows(b"xl/charts/chart1.xml".len())
        .any(|w| w == b"xl/charts/chart1.xml"));
}
