//! `rubric report`: one self-contained HTML page (ECharts inlined, the data as JSON, nothing
//! fetched), the same bytes on every run, exit codes. The page is loaded in a real browser by
//! `tests/report/run.sh` (from `external.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{repo_root, rubric};
use std::path::{Path, PathBuf};

const SCHEME: &str = "examples/01-ibm-value-tiers/tiers.rubric";
const DATA: &str = "examples/01-ibm-value-tiers/customers.csv";

fn tmp(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The chart data the page carries.
fn data_of(page: &str) -> serde_json::Value {
    let start = page
        .find("<script id=\"rubric-data\" type=\"application/json\">")
        .unwrap();
    let rest = &page[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find("</script>").unwrap();
    serde_json::from_str(&rest[open..close].replace("<\\/", "</")).unwrap()
}

#[test]
fn the_page_is_self_contained_and_carries_the_run() {
    let d = tmp("page");
    let out = d.join("report.html");
    let (code, stdout, err) = rubric(&[
        "report",
        SCHEME,
        "--data",
        DATA,
        "--measure",
        "revenue",
        "--baseline",
        "tests/fixtures/report/tiers-old.rubric",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.contains("202 customers (202 rows read, 0 rejected)"),
        "{stdout}"
    );
    let page = std::fs::read_to_string(&out).unwrap();
    // nothing to fetch: no external script, style, image or font, and a policy that forbids it
    for bad in [
        "<script src",
        "<link",
        "src=\"http",
        "href=\"http",
        "@import",
        "url(http",
    ] {
        assert!(
            !page.contains(bad),
            "the page refers to something outside: {bad}"
        );
    }
    assert!(page.contains("default-src 'none'"));
    assert!(
        page.contains("Apache") && page.contains("echarts"),
        "ECharts is inlined"
    );
    let data = data_of(&page);
    assert_eq!(data["counts"]["written"], 202);
    let tier = &data["grades"][0];
    assert_eq!(tier["name"], "tier");
    assert_eq!(tier["label"], "客户等级");
    assert_eq!(tier["codes"][0]["label"], "钻石级");
    assert_eq!(tier["codes"][0]["customers"], 8);
    assert_eq!(tier["codes"][0]["measure"], 5_000_000);
    // the cut lines of `revenue_cum <= 50%` etc., and where the codes change along the curve
    let cut = &data["pareto"]["cuts"][0];
    let levels: Vec<f64> = cut["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["value"].as_f64().unwrap())
        .collect();
    assert_eq!(levels, vec![0.5, 0.75, 0.95]);
    assert_eq!(cut["changes"].as_array().unwrap().len(), 3);
    assert_eq!(cut["changes"][0]["from"], "diamond 钻石级");
    // the migration from the baseline (diamond at 45% → 50%: one gold customer is diamond now)
    let m = &data["baseline"]["grades"][0];
    assert_eq!(data["baseline"]["moved"], 1);
    assert_eq!(m["customers"][1][0], 1);
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let d = tmp("same");
    let pages: Vec<Vec<u8>> = (0..2)
        .map(|n| {
            let out = d.join(format!("r{n}.html"));
            let (code, _, err) = rubric(&[
                "report",
                SCHEME,
                "--data",
                DATA,
                "--measure",
                "revenue",
                "--out",
                out.to_str().unwrap(),
            ]);
            assert_eq!(code, 0, "{err}");
            std::fs::read(out).unwrap()
        })
        .collect();
    assert!(pages[0] == pages[1]);
}

#[test]
fn scores_get_a_histogram_and_rejects_are_listed_with_exit_one() {
    let d = tmp("rejects");
    std::fs::write(
        d.join("bad.csv"),
        "客户编号,营业额,订单数\nc1,2500,12\nc2,abc,3\nc3,900,4\n",
    )
    .unwrap();
    let out = d.join("r.html");
    let (code, _, err) = rubric(&[
        "report",
        "tests/fixtures/diff/new.rubric",
        "--data",
        d.join("bad.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "rows were rejected: {err}");
    let data = data_of(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(data["counts"]["rejected"], 1);
    assert_eq!(data["rejects"][0]["line"], 3);
    let value = &data["scores"][0];
    assert_eq!(value["label"], "价值分");
    let total: u64 = value["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 2);
    assert!(data["pareto"].is_null(), "no --measure, no curve");
}

#[test]
fn a_wrong_out_or_scheme_is_exit_two() {
    let (code, _, err) = rubric(&["report", SCHEME, "--data", DATA, "--out", "report.pdf"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("is not an .html file") && err.contains("= help:"),
        "{err}"
    );
    let (code, _, err) = rubric(&["report", "nope.rubric", "--data", DATA, "--out", "x.html"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `nope.rubric`"), "{err}");
    assert!(!repo_root().join("x.html").exists());
}

/// Order data (example 28): the report grades the customers from their orders.
#[test]
fn a_scheme_that_reads_orders_is_drawn_from_its_events() {
    let dir = tmp("events");
    let ex = repo_root().join("examples/28-orders-rfm");
    let out = dir.join("rfm.html");
    let orders = format!("orders={}", ex.join("orders.csv").display());
    let (code, _, err) = rubric(&[
        "report",
        &ex.join("rfm.rubric").display().to_string(),
        "--events",
        &orders,
        "--data",
        &ex.join("customers.csv").display().to_string(),
        "--measure",
        "spend",
        "--out",
        &out.display().to_string(),
    ]);
    // the order of an unknown customer is a reject: written, exit 1
    assert_eq!(code, 1, "{err}");
    let page = std::fs::read_to_string(&out).unwrap();
    let data = data_of(&page);
    assert!(page.contains("ABC分类"));
    assert!(data.to_string().contains("no such customer"), "{data}");
}
