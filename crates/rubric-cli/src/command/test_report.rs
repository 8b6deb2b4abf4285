//! The results of `rubric test` for CI systems: `--format json` (one document), `--format junit`
//! (JUnit XML, as GitLab, Jenkins and most CI dashboards read it) and `--format github`
//! (workflow commands that annotate the failing line of a pull request). The human format is
//! printed as the tests run; the others are written once every test has run, from the cases
//! recorded here. Each output is deterministic: no times, no dates.

use serde_json::json;

#[derive(Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For people: each test as it runs, failures with their rule trace
    #[default]
    Human,
    /// One JSON document: {passed, failed, broken, cases: [{kind, suite, name, file, line, status, failure}]}
    Json,
    /// JUnit XML: one <testsuite> per scheme or rubric.toml, one <testcase> per test or snapshot
    Junit,
    /// GitHub Actions workflow commands: `::error file=…,line=…` per failure
    Github,
}

/// One test block or one dataset snapshot, and how it ended.
pub struct Case {
    /// `test` or `snapshot`.
    pub kind: &'static str,
    /// The scheme or `rubric.toml` the case belongs to, as shown to the user.
    pub suite: String,
    pub name: String,
    /// Where a failure is reported: the test block's file and line, the `rubric.toml`.
    pub file: String,
    pub line: Option<usize>,
    /// The report of a failure (the lines the human format prints under `FAIL`); `None` when
    /// the case passed.
    pub failure: Option<Vec<String>>,
}

/// The whole run in `format`; empty for the human format (already printed).
pub fn render(format: Format, cases: &[Case], broken: bool) -> String {
    match format {
        Format::Human => String::new(),
        Format::Json => json_report(cases, broken),
        Format::Junit => junit(cases),
        Format::Github => github(cases),
    }
}

fn counts(cases: &[Case]) -> (usize, usize) {
    let failed = cases.iter().filter(|c| c.failure.is_some()).count();
    (cases.len() - failed, failed)
}

fn json_report(cases: &[Case], broken: bool) -> String {
    let (passed, failed) = counts(cases);
    let cases: Vec<_> = cases
        .iter()
        .map(|c| {
            json!({
                "kind": c.kind,
                "suite": c.suite,
                "name": c.name,
                "file": c.file,
                "line": c.line,
                "status": if c.failure.is_some() { "failed" } else { "passed" },
                "failure": c.failure.as_ref().map(|l| l.join("\n")),
            })
        })
        .collect();
    let doc = json!({ "passed": passed, "failed": failed, "broken": broken, "cases": cases });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// Text for an XML attribute or element: the five entities escaped, and the characters XML 1.0
/// cannot hold (control characters other than tab and line breaks) left out.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn junit(cases: &[Case]) -> String {
    let (passed, failed) = counts(cases);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"rubric test\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">\n",
        passed + failed
    ));
    // suites in the order they ran, each with its cases
    let mut suites: Vec<&str> = Vec::new();
    for c in cases {
        if !suites.contains(&c.suite.as_str()) {
            suites.push(&c.suite);
        }
    }
    for suite in suites {
        let mine: Vec<&Case> = cases.iter().filter(|c| c.suite == suite).collect();
        let failures = mine.iter().filter(|c| c.failure.is_some()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">\n",
            xml(suite),
            mine.len()
        ));
        for c in mine {
            let line = c.line.map(|l| format!(" line=\"{l}\"")).unwrap_or_default();
            let head = format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"{line}",
                xml(suite),
                xml(&c.name),
                xml(&c.file)
            );
            match &c.failure {
                None => out.push_str(&format!("{head}/>\n")),
                Some(lines) => {
                    let message = lines.first().map(String::as_str).unwrap_or("failed");
                    out.push_str(&format!(
                        "{head}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                        xml(message),
                        c.kind,
                        xml(&lines.join("\n"))
                    ));
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// A property of a workflow command (`file=`, `title=`): `%`, line breaks, `:` and `,` escaped.
fn property(s: &str) -> String {
    message(s).replace(':', "%3A").replace(',', "%2C")
}

/// The message of a workflow command: `%` and line breaks escaped.
fn message(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn github(cases: &[Case]) -> String {
    let mut out = String::new();
    for c in cases {
        let Some(lines) = &c.failure else { continue };
        let line = c.line.map(|l| format!(",line={l}")).unwrap_or_default();
        out.push_str(&format!(
            "::error file={}{line},title={}::{}\n",
            property(&c.file),
            property(&format!("rubric {} failed: {}", c.kind, c.name)),
            message(&lines.join("\n"))
        ));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cases() -> Vec<Case> {
        vec![
            Case {
                kind: "test",
                suite: "a.rubric".into(),
                name: "gold & <diamond>".into(),
                file: "a.rubric".into(),
                line: Some(12),
                failure: None,
            },
            Case {
                kind: "test",
                suite: "a.rubric".into(),
                name: "客户 \"c1\"".into(),
                file: "a.rubric".into(),
                line: Some(20),
                failure: Some(vec![
                    "a.rubric:22: expect tier == gold".into(),
                    "  100%\u{1}".into(),
                ]),
            },
        ]
    }

    #[test]
    fn junit_escapes_what_xml_cannot_hold() {
        let x = junit(&cases());
        assert!(x.contains("tests=\"2\" failures=\"1\""), "{x}");
        assert!(x.contains("name=\"gold &amp; &lt;diamond&gt;\""), "{x}");
        assert!(
            x.contains("name=\"客户 &quot;c1&quot;\" file=\"a.rubric\" line=\"20\""),
            "{x}"
        );
        assert!(x.contains("<failure message=\"a.rubric:22: expect tier == gold\" type=\"test\">"));
        assert!(!x.contains('\u{1}'));
    }

    #[test]
    fn github_annotations_escape_their_separators() {
        let g = github(&cases());
        assert_eq!(
            g,
            "::error file=a.rubric,line=20,title=rubric test failed%3A 客户 \"c1\"::a.rubric:22: expect tier == gold%0A  100%25\u{1}\n"
        );
    }

    #[test]
    fn json_counts_and_lists_every_case() {
        let v: serde_json::Value = serde_json::from_str(&json_report(&cases(), false)).unwrap();
        assert_eq!(v["passed"], 1);
        assert_eq!(v["failed"], 1);
        assert_eq!(v["cases"][1]["status"], "failed");
        assert_eq!(v["cases"][1]["line"], 20);
    }
}
