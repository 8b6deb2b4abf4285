//! Old × new: the migration matrix of one grade (customers and measure per pair of codes) and
//! the customers who moved. Shared by `rubric diff`, `rubric report --baseline` and the
//! dataset snapshots of `rubric test`.

use super::explain::text;
use super::graded::{Graded, NONE};
use rubric_eval::format_decimal;
use rubric_syntax::Decimal;
use std::collections::HashMap;

/// A code of a matrix's rows or columns; the empty name is "no code".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    pub name: String,
    pub label: Option<String>,
}

impl Code {
    /// `gold 黄金级`, `gold`, or `(none)`.
    pub fn shown(&self) -> String {
        match (&self.label, self.name.is_empty()) {
            (_, true) => "(none)".to_string(),
            (Some(l), false) if l != &self.name => format!("{} {l}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// One grade's migration matrix: rows are the old codes, columns the new ones, each in
/// declaration order, then codes only the data has, then "no code".
#[derive(Clone, Debug)]
pub struct Migration {
    pub grade: String,
    pub label: Option<String>,
    pub rows: Vec<Code>,
    pub cols: Vec<Code>,
    /// `customers[row][col]`.
    pub customers: Vec<Vec<u64>>,
    /// `measure[row][col]`, when a measure is summed.
    pub measure: Option<Vec<Vec<Decimal>>>,
    /// Customers off the diagonal (a different code, by name).
    pub moved: u64,
}

fn codes(declared: &[(String, Option<String>)]) -> Vec<Code> {
    let mut v: Vec<Code> = declared
        .iter()
        .map(|(name, label)| Code {
            name: name.clone(),
            label: label.clone(),
        })
        .collect();
    v.push(Code {
        name: String::new(),
        label: None,
    });
    v
}

impl Migration {
    pub fn new(
        grade: &str,
        label: Option<String>,
        old: &[(String, Option<String>)],
        new: &[(String, Option<String>)],
        with_measure: bool,
    ) -> Migration {
        let (rows, cols) = (codes(old), codes(new));
        Migration {
            grade: grade.to_string(),
            label,
            customers: vec![vec![0; cols.len()]; rows.len()],
            measure: with_measure.then(|| vec![vec![Decimal::ZERO; cols.len()]; rows.len()]),
            rows,
            cols,
            moved: 0,
        }
    }

    /// The row of an old code by index ([`NONE`]: no code).
    fn row_at(&self, code: u32) -> usize {
        let none = self.rows.len() - 1;
        usize::try_from(code).map_or(none, |c| c.min(none))
    }

    fn col_at(&self, code: u32) -> usize {
        let none = self.cols.len() - 1;
        usize::try_from(code).map_or(none, |c| c.min(none))
    }

    /// Whether old row `r` and new column `c` are different codes (by name).
    fn moves(&self, r: usize, c: usize) -> bool {
        self.rows[r].name != self.cols[c].name
    }

    fn add_cell(&mut self, r: usize, c: usize, m: Option<Decimal>) {
        let moved = self.moves(r, c);
        self.count(r, c, moved, m);
    }

    fn count(&mut self, r: usize, c: usize, moved: bool, m: Option<Decimal>) {
        self.customers[r][c] += 1;
        if moved {
            self.moved += 1;
        }
        if let (Some(sums), Some(m)) = (self.measure.as_mut(), m) {
            let s = &mut sums[r][c];
            *s = s.checked_add(m).unwrap_or(*s);
        }
    }

    /// Counts a customer by code names (`""`: no code); a name neither scheme declares gets
    /// a row or column of its own (a snapshot written before a code was renamed).
    pub fn add_named(&mut self, old: &str, new: &str) {
        // (codes by name come from snapshots, which hold no measure)
        self.measure = None;
        let r = match self.rows.iter().position(|c| c.name == old) {
            Some(r) => r,
            None => {
                let at = self.rows.len() - 1;
                self.rows.insert(
                    at,
                    Code {
                        name: old.to_string(),
                        label: None,
                    },
                );
                self.customers.insert(at, vec![0; self.cols.len()]);
                at
            }
        };
        let c = match self.cols.iter().position(|c| c.name == new) {
            Some(c) => c,
            None => {
                let at = self.cols.len() - 1;
                self.cols.insert(
                    at,
                    Code {
                        name: new.to_string(),
                        label: None,
                    },
                );
                for row in &mut self.customers {
                    row.insert(at, 0);
                }
                at
            }
        };
        self.add_cell(r, c, None);
    }

    /// The matrix as text lines: customers, then with a measure its sums. `compact` leaves
    /// out codes nobody has, before and after.
    pub fn text(
        &self,
        title: &str,
        corner: &str,
        measure: Option<&str>,
        compact: bool,
    ) -> Vec<String> {
        let rows: Vec<usize> = (0..self.rows.len())
            .filter(|&r| self.keep(r, true, compact))
            .collect();
        let cols: Vec<usize> = (0..self.cols.len())
            .filter(|&c| self.keep(c, false, compact))
            .collect();
        let mut out = vec![title.to_string()];
        out.extend(self.table(corner, &rows, &cols, &|r, c| {
            self.customers[r][c].to_string()
        }));
        if let (Some(sums), Some(name)) = (&self.measure, measure) {
            out.push(format!(
                "{}: {name}, old (rows) → new (columns)",
                self.grade
            ));
            out.extend(self.table(corner, &rows, &cols, &|r, c| format_decimal(sums[r][c])));
        }
        out
    }

    /// Whether row (or column) `i` is shown: a declared code always unless `compact`; "no
    /// code" and codes only the data has when some customer has it.
    fn keep(&self, i: usize, row: bool, compact: bool) -> bool {
        let (code, any) = if row {
            (&self.rows[i], self.customers[i].iter().any(|&n| n > 0))
        } else {
            (&self.cols[i], self.customers.iter().any(|r| r[i] > 0))
        };
        any || !(compact || code.name.is_empty())
    }

    fn table(
        &self,
        corner: &str,
        rows: &[usize],
        cols: &[usize],
        cell: &dyn Fn(usize, usize) -> String,
    ) -> Vec<String> {
        let w0 = rows
            .iter()
            .map(|&r| rubric_fmt::display_width(&self.rows[r].shown()))
            .max()
            .unwrap_or(0)
            .max(rubric_fmt::display_width(corner));
        let widths: Vec<usize> = cols
            .iter()
            .map(|&c| {
                let head = rubric_fmt::display_width(&self.cols[c].shown());
                rows.iter()
                    .map(|&r| cell(r, c).len())
                    .max()
                    .unwrap_or(0)
                    .max(head)
                    .max(4)
            })
            .collect();
        let right = |s: &str, w: usize| {
            format!(
                "{}{s}",
                " ".repeat(w.saturating_sub(rubric_fmt::display_width(s)))
            )
        };
        let mut head = format!("  {}", text::pad(corner, w0));
        for (k, &c) in cols.iter().enumerate() {
            head.push_str(&format!("  {}", right(&self.cols[c].shown(), widths[k])));
        }
        let mut out = vec![head.trim_end().to_string()];
        for &r in rows {
            let mut line = format!("  {}", text::pad(&self.rows[r].shown(), w0));
            for (k, &c) in cols.iter().enumerate() {
                line.push_str(&format!("  {}", right(&cell(r, c), widths[k])));
            }
            out.push(line);
        }
        out
    }
}

/// A customer whose code changed in one grade.
#[derive(Clone, Debug)]
pub struct Mover {
    pub key: String,
    /// Index into [`Comparison::matrices`].
    pub grade: usize,
    /// Indices into the matrix's rows and columns.
    pub old: usize,
    pub new: usize,
    /// The rule that decided, before and after.
    pub old_why: String,
    pub new_why: String,
    pub measure: Option<Decimal>,
}

/// Two runs over the same data, compared.
pub struct Comparison {
    /// Customers graded by both.
    pub customers: u64,
    /// Customers only one of the runs graded (the other rejected them).
    pub only_old: u64,
    pub only_new: u64,
    pub matrices: Vec<Migration>,
    /// Grades one scheme has and the other does not (name, label).
    pub only_in_old: Vec<String>,
    pub only_in_new: Vec<String>,
    /// In input order (of the new run), grade by grade for each customer.
    pub movers: Vec<Mover>,
    /// The measure, when summed.
    pub measure: Option<String>,
    /// Customers who moved in some grade.
    moved: u64,
}

impl Comparison {
    /// Customers who moved in some grade.
    pub fn moved_customers(&self) -> u64 {
        self.moved
    }
}

/// The rule that gave customer `row` its `code`: with the values that decided, when the run
/// explained them, else as written.
fn why(col: &super::graded::GradeCol, row: usize, code: u32) -> String {
    if col.why.len() > row {
        return col.why.get(row);
    }
    usize::try_from(code)
        .ok()
        .and_then(|c| col.rules.get(c))
        .map_or_else(|| "no rule matched".to_string(), Clone::clone)
}

/// Compares two runs (`keep_movers`: list them, else only count): customers are matched by key; the measure is the new run's, else the
/// old run's.
pub fn compare(old: &Graded, new: &Graded, keep_movers: bool) -> Comparison {
    // customer i of the new run is old[pairs[i]]
    let aligned = old.keys == new.keys;
    let index: HashMap<&[u8], usize> = if aligned {
        HashMap::new()
    } else {
        (0..old.keys.len())
            .map(|i| (old.keys.bytes(i), i))
            .collect()
    };
    let pairs: Vec<Option<usize>> = (0..new.keys.len())
        .map(|j| {
            if aligned {
                Some(j)
            } else {
                index.get(new.keys.bytes(j)).copied()
            }
        })
        .collect();
    let customers = pairs.iter().flatten().count() as u64;
    let measure_name = new
        .measure
        .as_ref()
        .or(old.measure.as_ref())
        .map(|(n, _)| n.clone());
    let measure_of = |j: usize, i: usize| -> Option<Decimal> {
        match (&new.measure, &old.measure) {
            (Some((_, v)), _) => v.get(j).copied().flatten(),
            (None, Some((_, v))) => v.get(i).copied().flatten(),
            _ => None,
        }
    };
    let mut matrices = Vec::new();
    let mut shared = Vec::new();
    for (b, ng) in new.grades.iter().enumerate() {
        if let Some(a) = old.grades.iter().position(|g| g.name == ng.name) {
            let og = &old.grades[a];
            matrices.push(Migration::new(
                &ng.name,
                ng.label.clone().or(og.label.clone()),
                &og.codes,
                &ng.codes,
                measure_name.is_some(),
            ));
            shared.push((a, b));
        }
    }
    let only_in_new = new
        .grades
        .iter()
        .filter(|g| !old.grades.iter().any(|o| o.name == g.name))
        .map(|g| g.name.clone())
        .collect();
    let only_in_old = old
        .grades
        .iter()
        .filter(|g| !new.grades.iter().any(|n| n.name == g.name))
        .map(|g| g.name.clone())
        .collect();
    // (per matrix: which cells are moves, by index, so that no code name is compared per customer)
    let moves: Vec<Vec<Vec<bool>>> = matrices
        .iter()
        .map(|m| {
            (0..m.rows.len())
                .map(|r| (0..m.cols.len()).map(|c| m.moves(r, c)).collect())
                .collect()
        })
        .collect();
    let mut movers = Vec::new();
    let mut moved_customers = 0;
    for (j, pair) in pairs.iter().enumerate() {
        let Some(i) = *pair else { continue };
        let m = measure_of(j, i);
        let mut any = false;
        for (k, &(a, b)) in shared.iter().enumerate() {
            let (oc, nc) = (
                old.grades[a].values.get(i).copied().unwrap_or(NONE),
                new.grades[b].values.get(j).copied().unwrap_or(NONE),
            );
            let matrix = &mut matrices[k];
            let (r, c) = (matrix.row_at(oc), matrix.col_at(nc));
            let moved = moves[k][r][c];
            any |= moved;
            matrix.count(r, c, moved, m);
            if moved && keep_movers {
                movers.push(Mover {
                    key: new.keys.get(j),
                    grade: k,
                    old: r,
                    new: c,
                    old_why: why(&old.grades[a], i, oc),
                    new_why: why(&new.grades[b], j, nc),
                    measure: m,
                });
            }
        }
        if any {
            moved_customers += 1;
        }
    }
    Comparison {
        customers,
        only_old: old.keys.len() as u64 - customers,
        only_new: new.keys.len() as u64 - customers,
        matrices,
        only_in_old,
        only_in_new,
        movers,
        measure: measure_name,
        moved: moved_customers,
    }
}
