//! The workbook writer (`rubric run --out FILE.xlsx`): sheet `结果` (the graded rows), sheet
//! `汇总` (per grade: customers, share, measure, and a column chart) and sheet `拒绝` (the
//! rejects, laid out as the rejects CSV). Built on `rust_xlsxwriter`.
//!
//! - Rows arrive as the text cells every output format gets ([`RowSink`]), with each column's
//!   [`ColumnKind`]; the workbook turns them back into typed cells: a number whose digits Excel
//!   shows exactly (at most 15 significant digits, which an f64 holds) is a number cell with a
//!   format of its own places (`81.75` shows `81.75`, `84` shows `84`); a longer one stays text,
//!   digits intact. A date is a date cell (`yyyy-mm-dd`); before 1900-03-01, where Excel's
//!   calendar is wrong, text. A bool is a boolean cell.
//! - A grade or tags column is written as two: its codes, then their labels (a code without a
//!   label is its own label), and with `--all` one column per grade attribute.
//! - The result and rejects sheets are written in constant memory (rows stream to a temporary
//!   file). Past Excel's 1,048,576 rows a sheet continues on `结果 2`, `结果 3`, … each with
//!   its header.
//! - Same input, same bytes: the document's creation time is fixed (the run's `as_of`).

use super::error::DataError;
use super::rejects::RejectTable;
use super::write::{ColumnKind, OutputColumn, RowSink};
use rubric_check::hir::{ItemId, Model, Ty};
use rubric_syntax::ast::Literal;
use rubric_syntax::date::Date;
use rubric_syntax::Decimal;
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError,
};
use std::io::Write;

/// Data rows per sheet: Excel's 1,048,576 rows less the header.
pub const MAX_DATA_ROWS: u32 = 1_048_575;
/// The sheet of graded rows.
pub const RESULT_SHEET: &str = "结果";
/// The sheet of counts per grade.
pub const SUMMARY_SHEET: &str = "汇总";
/// The sheet of rejects.
pub const REJECT_SHEET: &str = "拒绝";
/// Days from Excel's day 0 (1899-12-30) to 1970-01-01.
const EXCEL_EPOCH: i32 = 25_569;
/// Excel's serial of 1900-03-01: earlier serials fall on its phantom 1900-02-29.
const FIRST_SERIAL: i32 = 61;
/// Column widths stop growing here (characters).
const MAX_WIDTH: usize = 60;

/// One column of the run's output as the workbook lays it out.
#[derive(Clone, Debug)]
pub struct XlsxColumn {
    pub name: String,
    pub kind: ColumnKind,
    /// A grade or tags column: written as its codes, then their labels, then its attributes.
    pub grade: Option<GradeColumn>,
}

/// What a grade or tags column adds to the workbook.
#[derive(Clone, Debug)]
pub struct GradeColumn {
    /// The header of the labels column: `<label> 名称` (`企业规模 名称`), or `<name> 名称` for a
    /// grade without a label; never the same as the grade's own label, which is often also
    /// a header of the input (so the result sheet can be read back as input).
    pub label_header: String,
    /// Per code (declaration order): its name and its label.
    pub codes: Vec<(String, String)>,
    /// Attributes (with `--all`): header, kind and the value of each code as text.
    pub attrs: Vec<(String, ColumnKind, Vec<String>)>,
}

impl XlsxColumn {
    /// The workbook layout of a run's output columns. `items[i]` is the item output column
    /// `i` shows (`None`: the key, a kept input column or an explanation); `attrs`: write
    /// each grade's attributes.
    pub fn layout(
        model: &Model,
        columns: &[OutputColumn],
        items: &[Option<ItemId>],
        attrs: bool,
    ) -> Vec<XlsxColumn> {
        columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let item = items.get(i).copied().flatten();
                let grade = item.and_then(|id| {
                    let it = model.items.get(id)?;
                    if !matches!(it.ty, Ty::Grade(_) | Ty::Tags(_)) {
                        return None;
                    }
                    let g = model.grade(id)?;
                    let label_header = format!("{} 名称", it.label.as_deref().unwrap_or(&it.name));
                    let codes = g
                        .codes
                        .iter()
                        .map(|c| (c.name.clone(), c.label.clone().unwrap_or(c.name.clone())))
                        .collect();
                    let attrs = if attrs {
                        g.attr_keys
                            .iter()
                            .enumerate()
                            .map(|(k, (key, ty))| {
                                let values = g
                                    .codes
                                    .iter()
                                    .map(|c| c.attrs.get(k).map(literal_text).unwrap_or_default())
                                    .collect();
                                (format!("{}.{key}", it.name), kind_of_ty(ty), values)
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    Some(GradeColumn {
                        label_header,
                        codes,
                        attrs,
                    })
                });
                XlsxColumn {
                    name: c.name.clone(),
                    kind: c.kind,
                    grade,
                }
            })
            .collect()
    }
}

fn kind_of_ty(ty: &Ty) -> ColumnKind {
    match ty {
        Ty::Int | Ty::Decimal => ColumnKind::Number,
        Ty::Bool => ColumnKind::Bool,
        Ty::Date => ColumnKind::Date,
        _ => ColumnKind::Text,
    }
}

fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Int(d) | Literal::Decimal(d) => crate::value::format_decimal(*d),
        Literal::Text(t) => t.clone(),
        Literal::Bool(b) => b.to_string(),
        Literal::Date(d) => d.to_string(),
        Literal::Duration(d) => d.to_string(),
    }
}

/// One grade's table on the `汇总` sheet.
#[derive(Clone, Debug)]
pub struct SummaryTable {
    /// The grade's label, else its name.
    pub title: String,
    /// Per code: code, label, customers, measure sum; the last row may be the customers without
    /// a code (`(无)`).
    pub rows: Vec<SummaryRow>,
}

#[derive(Clone, Debug)]
pub struct SummaryRow {
    pub code: String,
    pub label: String,
    pub customers: u64,
    pub measure: Decimal,
}

/// The whole `汇总` sheet.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Written rows: the denominator of every share.
    pub customers: u64,
    /// The measure's name and total, with `--measure`.
    pub measure: Option<(String, Decimal)>,
    pub tables: Vec<SummaryTable>,
}

/// A sheet that continues on `name 2`, `name 3`, … past `max` data rows.
struct Paged {
    name: String,
    header: Vec<String>,
    /// Per header cell: the kind of its cells.
    kinds: Vec<ColumnKind>,
    pages: Vec<Worksheet>,
    /// The next row of the last page.
    row: u32,
    col: u16,
    widths: Vec<usize>,
}

impl Paged {
    fn new(name: &str, header: Vec<String>, kinds: Vec<ColumnKind>) -> Paged {
        let widths = header.iter().map(|h| text_width(h)).collect();
        Paged {
            name: name.into(),
            header,
            kinds,
            pages: Vec::new(),
            row: 0,
            col: 0,
            widths,
        }
    }

    /// The sheet to write the next row on (a new page when the last is full).
    fn page(&mut self, book: &mut Workbook, max: u32, fmts: &Formats) -> Result<(), XlsxError> {
        if !self.pages.is_empty() && self.row <= max {
            return Ok(());
        }
        let mut ws = book.new_worksheet_with_constant_memory()?;
        let n = self.pages.len() + 1;
        ws.set_name(if n == 1 {
            self.name.clone()
        } else {
            format!("{} {n}", self.name)
        })?;
        for (c, h) in self.header.iter().enumerate() {
            ws.write_string_with_format(0, col_num(c)?, h, &fmts.header)?;
        }
        ws.set_freeze_panes(1, 0)?;
        self.pages.push(ws);
        self.row = 1;
        Ok(())
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, XlsxError> {
        self.pages
            .last_mut()
            .ok_or_else(|| XlsxError::ParameterError("no sheet".into()))
    }

    /// Writes the next cell of the current row.
    fn cell(
        &mut self,
        kind: ColumnKind,
        text: Option<&str>,
        fmts: &mut Formats,
    ) -> Result<(), XlsxError> {
        let (row, col) = (self.row, self.col);
        self.col += 1;
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return Ok(());
        };
        let width = write_cell(self.sheet()?, row, col, kind, text, fmts)?;
        if let Some(w) = self.widths.get_mut(usize::from(col)) {
            *w = (*w).max(width);
        }
        Ok(())
    }

    fn end_row(&mut self) {
        self.row += 1;
        self.col = 0;
    }

    /// Sets the column widths of every page and hands the pages over, in order.
    fn finish(mut self, book: &mut Workbook) -> Result<(), XlsxError> {
        for ws in &mut self.pages {
            for (c, w) in self.widths.iter().enumerate() {
                ws.set_column_width(col_num(c)?, column_width(*w))?;
            }
        }
        for ws in self.pages {
            book.push_worksheet(ws);
        }
        Ok(())
    }
}

fn col_num(c: usize) -> Result<u16, XlsxError> {
    u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)
}

/// A column's width in Excel's units for cells at most `chars` wide.
fn column_width(chars: usize) -> f64 {
    (chars.min(MAX_WIDTH) + 2) as f64
}

/// The width of `s` on screen: a CJK or full-width character counts two.
pub fn text_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = u32::from(c);
            let wide = matches!(u,
                0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// The cell formats of a workbook, made once.
struct Formats {
    header: Format,
    date: Format,
    percent: Format,
    /// Number formats by places: `0`, `0.0`, `0.00`, … (made when first used)
    places: Vec<Option<Format>>,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            percent: Format::new().set_num_format("0.0%"),
            places: Vec::new(),
        }
    }

    fn places(&mut self, n: usize) -> &Format {
        if self.places.len() <= n {
            self.places.resize(n + 1, None);
        }
        let slot = &mut self.places[n];
        slot.get_or_insert_with(|| {
            let f = if n == 0 {
                "0".to_string()
            } else {
                format!("0.{}", "0".repeat(n))
            };
            Format::new().set_num_format(f)
        })
    }
}

/// A decimal's text as a number Excel shows with exactly its digits: the value and its
/// places, when it has at most 15 significant digits (so an f64 holds it and Excel shows
/// every digit).
fn excel_number(text: &str) -> Option<(f64, usize)> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 30
    {
        return None;
    }
    let all = format!("{int}{frac}");
    let significant = all.trim_start_matches('0').len();
    if significant > 15 {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    Some((v, frac.len()))
}

/// A date's Excel serial, when Excel's calendar has it right (from 1900-03-01).
fn excel_date(text: &str) -> Option<f64> {
    let d = Date::parse(text)?;
    let serial = d.0.checked_add(EXCEL_EPOCH)?;
    (serial >= FIRST_SERIAL).then_some(f64::from(serial))
}

/// Writes one cell as its kind says; returns its width on screen.
fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    kind: ColumnKind,
    text: &str,
    fmts: &mut Formats,
) -> Result<usize, XlsxError> {
    match kind {
        ColumnKind::Number => {
            if let Some((v, places)) = excel_number(text) {
                ws.write_number_with_format(row, col, v, fmts.places(places))?;
                return Ok(text.len());
            }
        }
        ColumnKind::Date => {
            if let Some(serial) = excel_date(text) {
                ws.write_number_with_format(row, col, serial, &fmts.date)?;
                return Ok(10);
            }
        }
        ColumnKind::Bool if text == "true" || text == "false" => {
            ws.write_boolean(row, col, text == "true")?;
            return Ok(5);
        }
        _ => {}
    }
    ws.write_string(row, col, text)?;
    Ok(text_width(text))
}

/// A workbook being written: rows of the result sheet arrive through [`RowSink`]; then
/// [`XlsxBook::finish`] adds the summary and the rejects and writes the file.
pub struct XlsxBook {
    book: Workbook,
    name: String,
    columns: Vec<XlsxColumn>,
    /// Per grade column: its code names, to find a code's index (a scan: a grade has few
    /// codes, and comparing them is faster than hashing).
    code_index: Vec<Vec<String>>,
    result: Paged,
    fmts: Formats,
    max_rows: u32,
    /// The next output column of the current row.
    at: usize,
    /// Data rows written.
    rows: u64,
}

impl XlsxBook {
    /// Starts a workbook. `name` names it in errors; `as_of` is its creation date.
    pub fn new(name: &str, columns: Vec<XlsxColumn>, as_of: Date) -> Result<XlsxBook, DataError> {
        XlsxBook::with_max_rows(name, columns, as_of, MAX_DATA_ROWS)
    }

    /// [`XlsxBook::new`] with at most `max_rows` data rows per sheet (tests: a small limit).
    pub fn with_max_rows(
        name: &str,
        columns: Vec<XlsxColumn>,
        as_of: Date,
        max_rows: u32,
    ) -> Result<XlsxBook, DataError> {
        let mut book = Workbook::new();
        let (y, m, d) = as_of.ymd();
        let created = ExcelDateTime::from_ymd(
            u16::try_from(y).unwrap_or(2000),
            u8::try_from(m).unwrap_or(1),
            u8::try_from(d).unwrap_or(1),
        )
        .or_else(|_| ExcelDateTime::from_ymd(2000, 1, 1))
        .map_err(|e| xlsx_err(name, e))?;
        book.set_properties(&DocProperties::new().set_creation_datetime(&created));
        let mut header = Vec::new();
        let mut kinds = Vec::new();
        for c in &columns {
            header.push(c.name.clone());
            kinds.push(c.kind);
            if let Some(g) = &c.grade {
                header.push(g.label_header.clone());
                kinds.push(ColumnKind::Text);
                for (h, k, _) in &g.attrs {
                    header.push(h.clone());
                    kinds.push(*k);
                }
            }
        }
        let code_index = columns
            .iter()
            .map(|c| {
                c.grade.as_ref().map_or_else(Vec::new, |g| {
                    g.codes.iter().map(|(code, _)| code.clone()).collect()
                })
            })
            .collect();
        Ok(XlsxBook {
            book,
            name: name.into(),
            columns,
            code_index,
            result: Paged::new(RESULT_SHEET, header, kinds),
            fmts: Formats::new(),
            max_rows: max_rows.max(1),
            at: 0,
            rows: 0,
        })
    }

    /// Data rows written to the result sheets.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn err(&self, e: XlsxError) -> DataError {
        xlsx_err(&self.name, e)
    }

    fn put(&mut self, value: Option<&str>) -> Result<(), XlsxError> {
        let XlsxBook {
            book,
            columns,
            code_index,
            result,
            fmts,
            max_rows,
            at,
            ..
        } = self;
        result.page(book, *max_rows, fmts)?;
        let Some(col) = columns.get(*at) else {
            return Err(XlsxError::ParameterError(format!(
                "a row has more than {} cells",
                columns.len()
            )));
        };
        let index = code_index.get(*at);
        *at += 1;
        let kind = col.kind;
        result.cell(kind, value, fmts)?;
        let (Some(g), Some(index)) = (&col.grade, index) else {
            return Ok(());
        };
        let value = value.filter(|v| !v.is_empty());
        if kind != ColumnKind::Tags {
            // one code: its label and attributes as they are
            let code = value.and_then(|v| index.iter().position(|c| c == v));
            let label = code.and_then(|c| g.codes.get(c)).map(|(_, l)| l.as_str());
            result.cell(ColumnKind::Text, label, fmts)?;
            for (_, k, values) in &g.attrs {
                let v = code.and_then(|c| values.get(c)).map(String::as_str);
                result.cell(*k, v, fmts)?;
            }
            return Ok(());
        }
        // tags: every tag's label, and of an attribute every tag's value, `;`-joined
        let codes: Vec<usize> = value
            .into_iter()
            .flat_map(|v| v.split(';'))
            .filter_map(|c| index.iter().position(|x| x == c))
            .collect();
        let join = |texts: Vec<&str>| (!texts.is_empty()).then(|| texts.join(";"));
        let label = join(
            codes
                .iter()
                .filter_map(|&c| g.codes.get(c).map(|(_, l)| l.as_str()))
                .collect(),
        );
        result.cell(ColumnKind::Text, label.as_deref(), fmts)?;
        for (_, k, values) in &g.attrs {
            let texts: Vec<&str> = codes
                .iter()
                .filter_map(|&c| values.get(c).map(String::as_str))
                .collect();
            let kind = if texts.len() == 1 {
                *k
            } else {
                ColumnKind::Text
            };
            result.cell(kind, join(texts).as_deref(), fmts)?;
        }
        Ok(())
    }

    /// Adds the `汇总` and `拒绝` sheets and writes the workbook to `out`.
    pub fn finish<W: Write + Send>(
        mut self,
        summary: &Summary,
        rejects: &RejectTable,
        out: W,
    ) -> Result<(), DataError> {
        let name = self.name.clone();
        let err = |e| xlsx_err(&name, e);
        if self.result.pages.is_empty() {
            self.result
                .page(&mut self.book, self.max_rows, &self.fmts)
                .map_err(err)?;
        }
        let result = std::mem::replace(&mut self.result, Paged::new("", Vec::new(), Vec::new()));
        result.finish(&mut self.book).map_err(err)?;
        let sheet = summary_sheet(summary, &mut self.fmts).map_err(err)?;
        self.book.push_worksheet(sheet);
        let header = rejects.header.clone();
        let kinds = header
            .iter()
            .map(|h| {
                if h == "line" {
                    ColumnKind::Number
                } else {
                    ColumnKind::Text
                }
            })
            .collect();
        let mut paged = Paged::new(REJECT_SHEET, header, kinds);
        paged
            .page(&mut self.book, self.max_rows, &self.fmts)
            .map_err(err)?;
        for row in &rejects.rows {
            paged
                .page(&mut self.book, self.max_rows, &self.fmts)
                .map_err(err)?;
            for (c, text) in row.iter().enumerate() {
                let kind = paged.kinds.get(c).copied().unwrap_or(ColumnKind::Text);
                paged.cell(kind, Some(text), &mut self.fmts).map_err(err)?;
            }
            paged.end_row();
        }
        paged.finish(&mut self.book).map_err(err)?;
        self.book.save_to_writer(out).map_err(err)
    }
}

impl RowSink for XlsxBook {
    fn cell(&mut self, value: Option<&str>) -> Result<(), DataError> {
        self.put(value).map_err(|e| self.err(e))
    }

    fn end_row(&mut self) -> Result<(), DataError> {
        if self.at != self.columns.len() {
            let e = XlsxError::ParameterError(format!(
                "a row has {} cells but there are {} columns",
                self.at,
                self.columns.len()
            ));
            self.at = 0;
            return Err(self.err(e));
        }
        self.at = 0;
        self.rows += 1;
        self.result.end_row();
        Ok(())
    }
}

fn xlsx_err(name: &str, e: XlsxError) -> DataError {
    DataError::XlsxWrite {
        path: name.into(),
        message: e.to_string().to_lowercase(),
    }
}

/// The `汇总` sheet: one table per grade (code, label, customers, share, and with a measure its
/// sum and share), each with a column chart of its customers per label to its right.
fn summary_sheet(s: &Summary, fmts: &mut Formats) -> Result<Worksheet, XlsxError> {
    let mut ws = Worksheet::new();
    ws.set_name(SUMMARY_SHEET)?;
    let mut header: Vec<String> = ["代码", "名称", "客户数", "占比"]
        .into_iter()
        .map(String::from)
        .collect();
    if let Some((m, _)) = &s.measure {
        header.push(m.clone());
        header.push(format!("{m} 占比"));
    }
    let mut widths: Vec<usize> = header.iter().map(|h| text_width(h)).collect();
    let chart_col = col_num(header.len() + 1)?;
    let mut row = 0u32;
    let mut chart_row = 0u32;
    for t in &s.tables {
        ws.write_string_with_format(row, 0, &t.title, &fmts.header)?;
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(row + 1, col_num(c)?, h, &fmts.header)?;
        }
        let first = row + 2;
        for (i, r) in t.rows.iter().enumerate() {
            let at = first + u32::try_from(i).map_err(|_| XlsxError::RowColumnLimitError)?;
            ws.write_string(at, 0, &r.code)?;
            ws.write_string(at, 1, &r.label)?;
            ws.write_number(at, 2, r.customers as f64)?;
            widths[0] = widths[0].max(text_width(&r.code));
            widths[1] = widths[1].max(text_width(&r.label));
            if s.customers > 0 {
                ws.write_number_with_format(
                    at,
                    3,
                    r.customers as f64 / s.customers as f64,
                    &fmts.percent,
                )?;
            }
            if let Some((_, total)) = &s.measure {
                let text = crate::value::format_decimal(r.measure);
                let w = write_cell(&mut ws, at, 4, ColumnKind::Number, &text, fmts)?;
                widths[4] = widths[4].max(w);
                if let (Ok(m), Ok(t)) = (
                    text.parse::<f64>(),
                    crate::value::format_decimal(*total).parse::<f64>(),
                ) {
                    if t != 0.0 {
                        ws.write_number_with_format(at, 5, m / t, &fmts.percent)?;
                    }
                }
            }
        }
        let last =
            first + u32::try_from(t.rows.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
        if !t.rows.is_empty() {
            let mut chart = Chart::new(ChartType::Column);
            chart
                .add_series()
                .set_name(t.title.as_str())
                .set_categories((SUMMARY_SHEET, first, 1, last - 1, 1))
                .set_values((SUMMARY_SHEET, first, 2, last - 1, 2));
            chart.title().set_name(t.title.as_str());
            chart.legend().set_hidden();
            chart.set_width(480).set_height(288);
            ws.insert_chart(chart_row.max(row), chart_col, &chart)?;
            chart_row = chart_row.max(row) + 16;
        }
        row = last + 1;
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(col_num(c)?, column_width(*w))?;
    }
    Ok(ws)
}

#[cfg(test)]
#[path = "xlsx_write_tests.rs"]
mod tests;
