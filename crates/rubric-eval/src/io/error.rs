//! The one error type of the data layer: everything that stops a whole file from being read or
//! written. A single bad row is never a `DataError`; it becomes a [`crate::Reject`].

use std::fmt::Write as _;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DataError {
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write `{path}`: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot tell the data format of `{path}` from its extension")]
    #[diagnostic(help(
        "name the file .csv, .json, .jsonl or .xlsx, or give its format: --input-format csv|json|jsonl|xlsx (in rubric.toml: `format = \"csv\"`)"
    ))]
    UnknownFormat { path: String },

    #[error("unknown data format `{name}`")]
    #[diagnostic(help("the formats are csv, json, jsonl and xlsx"))]
    UnknownFormatName { name: String },

    #[error("unknown output format `{name}`")]
    #[diagnostic(help("the output formats are csv, json, jsonl and xlsx"))]
    UnknownOutputFormatName { name: String },

    #[error("rubric cannot write `{path}`: it does not know the extension `.{ext}`")]
    #[diagnostic(help(
        "name the output .csv, .json, .jsonl or .xlsx, or pass --format csv|json|jsonl|xlsx"
    ))]
    UnknownOutputExtension { path: String, ext: String },

    #[error("cannot write the workbook `{path}`: {message}")]
    XlsxWrite { path: String, message: String },

    #[error("unknown encoding `{name}`")]
    #[diagnostic(help("use utf-8 (the default) or gb18030 (excel exports from chinese windows)"))]
    UnknownEncoding { name: String },

    #[error("an encoding only applies to csv files, not to `{path}`")]
    EncodingNotCsv { path: String },

    #[error("a sheet only applies to xlsx files, not to `{path}`")]
    SheetNotXlsx { path: String },

    #[error("`{path}` is empty: expected a header row")]
    NoHeader { path: String },

    #[error("the header of `{path}` is not valid utf-8")]
    #[diagnostic(help(
        "if the file comes from excel on chinese windows, pass --encoding gb18030"
    ))]
    HeaderNotUtf8 { path: String },

    #[error("{}", missing_column(.path, .column, .field, .similar, .available))]
    #[diagnostic(help("rename the column in the data, or give the field its header: `{field} <type> \"<header>\"`"))]
    MissingColumn {
        path: String,
        /// The column the field reads.
        column: String,
        /// The field's name in the scheme.
        field: String,
        /// Headers that look like `column` (closest first).
        similar: Vec<String>,
        /// Every header of the file, in file order.
        available: Vec<String>,
    },

    #[error(
        "column `{column}` appears twice in the header of `{path}` (columns {first} and {second})"
    )]
    #[diagnostic(help("rename one of them so that field `{field}` reads one column"))]
    DuplicateColumn {
        path: String,
        column: String,
        field: String,
        first: usize,
        second: usize,
    },

    #[error("field `{field}` has type `{ty}`, which cannot be read from data")]
    UnsupportedType { field: String, ty: String },

    #[error("`{path}` line {line}: {message}")]
    Csv {
        path: String,
        line: u64,
        message: String,
    },

    #[error("`{path}` line {line}: {message}")]
    Json {
        path: String,
        line: u64,
        message: String,
    },

    #[error("cannot read the workbook `{path}`: {message}")]
    Xlsx { path: String, message: String },

    #[error("{}", no_sheet(.path, .sheet, .available))]
    NoSheet {
        path: String,
        sheet: String,
        available: Vec<String>,
    },
}

fn list(names: &[String]) -> String {
    let mut s = String::new();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "`{n}`");
    }
    s
}

fn missing_column(
    path: &str,
    column: &str,
    field: &str,
    similar: &[String],
    available: &[String],
) -> String {
    let mut s = format!("`{path}` has no column `{column}`");
    if column != field {
        let _ = write!(s, " (field `{field}`)");
    }
    if !similar.is_empty() {
        let _ = write!(s, "; did you mean {}?", list(similar));
    } else if available.is_empty() {
        s.push_str("; the header is empty");
    } else {
        const SHOWN: usize = 12;
        let shown = &available[..available.len().min(SHOWN)];
        let _ = write!(s, "; the columns are {}", list(shown));
        if available.len() > SHOWN {
            let _ = write!(s, " and {} more", available.len() - SHOWN);
        }
    }
    s
}

fn no_sheet(path: &str, sheet: &str, available: &[String]) -> String {
    if available.is_empty() {
        format!("`{path}` has no sheets")
    } else {
        format!(
            "`{path}` has no sheet `{sheet}`; the sheets are {}",
            list(available)
        )
    }
}

/// The headers that look like `wanted`, closest first: same letters ignoring case, spaces and
/// punctuation; or a small edit distance; or one containing the other.
pub(crate) fn similar_names(wanted: &str, names: &[String]) -> Vec<String> {
    let norm = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(|c| c.to_lowercase())
            .collect()
    };
    let w = norm(wanted);
    let mut scored: Vec<(usize, usize, &String)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let n = norm(name);
        if n.is_empty() && !w.is_empty() {
            continue;
        }
        let score = if n == w {
            0
        } else {
            // at most one edit in three characters, and never more than six: a long header gets no
            // looser match, and the comparison stays linear in its length
            let limit = (w.len().max(n.len()) / 3).clamp(1, 6);
            if let Some(d) = rubric_syntax::diagnostic::edit_distance_within(&w, &n, limit) {
                d
            } else if !w.is_empty() && !n.is_empty() && (contains(&n, &w) || contains(&w, &n)) {
                limit + 1
            } else {
                continue;
            }
        };
        scored.push((score, i, name));
    }
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, _, n)| n.clone())
        .collect()
}

/// Whether `needle` occurs in `hay`; only for names of up to 64 characters (one containing the
/// other is a hint for short names, and the window search is quadratic).
fn contains(hay: &[char], needle: &[char]) -> bool {
    needle.len() <= hay.len() && hay.len() <= 64 && hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn similar_headers_are_found() {
        let cols = names(&[
            "id",
            "Revenue",
            "revenue_2023",
            "region",
            "营业 额",
            "orders",
        ]);
        assert_eq!(
            similar_names("revenue", &cols),
            names(&["Revenue", "revenue_2023"])
        );
        assert_eq!(similar_names("营业额", &cols), names(&["营业 额"]));
        assert_eq!(similar_names("regoin", &cols), names(&["region"]));
        assert!(similar_names("last_order", &cols).is_empty());
    }

    #[test]
    fn missing_column_message_lists_candidates_or_columns() {
        let e = DataError::MissingColumn {
            path: "a.csv".into(),
            column: "营业额".into(),
            field: "revenue".into(),
            similar: names(&["营业 额"]),
            available: names(&["id", "营业 额"]),
        };
        assert_eq!(
            e.to_string(),
            "`a.csv` has no column `营业额` (field `revenue`); did you mean `营业 额`?"
        );
        let e = DataError::MissingColumn {
            path: "a.csv".into(),
            column: "profit".into(),
            field: "profit".into(),
            similar: vec![],
            available: names(&["id", "revenue"]),
        };
        assert_eq!(
            e.to_string(),
            "`a.csv` has no column `profit`; the columns are `id`, `revenue`"
        );
    }
}
