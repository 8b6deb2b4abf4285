//! What a run is asked for (options, output columns, the measure) and what it reports (summary, errors).

use crate::io::{ColumnKind, DataError, OutputColumn};
use crate::value::{Reject, ValueFormat};
use rubric_check::hir::{ItemId, Model, Ty};
use rubric_syntax::Decimal;

/// What to write and how.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Also write every `let` and `points` (`--all`).
    pub all: bool,
    /// Add a `<name>_why` column after every grade and tags (`--explain`).
    pub explain: bool,
    /// The first bad row fails the run (`--strict`).
    pub strict: bool,
    /// Sum this numeric field or item per grade code in the summary (`--measure`).
    pub measure: Option<Measure>,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
}

/// A numeric field or item summed per grade code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Field(usize),
    Item(ItemId),
}

impl Measure {
    /// Finds a numeric field, let, points or score by name.
    pub fn find(model: &Model, name: &str) -> Result<Measure, String> {
        if let Some(f) = model.field_named(name) {
            return if model.fields[f].ty.is_numeric() {
                Ok(Measure::Field(f))
            } else {
                Err(format!("`{name}` is not a number, so it cannot be summed"))
            };
        }
        if let Some(i) = model.item_named(name) {
            return if model.items[i].ty.is_numeric() {
                Ok(Measure::Item(i))
            } else {
                Err(format!("`{name}` is not a number, so it cannot be summed"))
            };
        }
        Err(format!("the scheme has no field or value named `{name}`"))
    }
}

/// The output columns of a run: the key, the kept input fields, then the items (with `_why`
/// columns).
#[derive(Clone, Debug)]
pub struct Columns {
    pub columns: Vec<OutputColumn>,
    /// Per output column: the item it shows (`None`: the key, a kept field, an explanation).
    pub items_shown: Vec<Option<ItemId>>,
    /// Kept input fields (`--keep`), written after the key: field and format.
    pub(super) fields: Vec<(usize, ValueFormat)>,
    pub(super) items: Vec<(ItemId, ValueFormat, bool)>,
}

/// Which columns a run writes, beyond the key and the scores, grades and tags.
#[derive(Clone, Debug, Default)]
pub struct ColumnOptions {
    /// Every let and points value (`--all`).
    pub all: bool,
    /// A `_why` column per grade and tags (`--explain`).
    pub explain: bool,
    /// Labels instead of codes in grade and tags columns (`--labels`).
    pub labels: bool,
    /// Input fields written after the key, in this order (`--keep`), each under its header.
    pub keep: Vec<usize>,
    /// Items written even when they are not outputs (a `let` summed by `rubric diff`).
    pub extra: Vec<ItemId>,
    /// Only these items (and `extra`), not every output (`rubric diff` keeps only its grades).
    pub only: Option<Vec<ItemId>>,
}

impl Columns {
    pub fn new(model: &Model, all: bool, explain: bool) -> Columns {
        Columns::with(
            model,
            &ColumnOptions {
                all,
                explain,
                ..ColumnOptions::default()
            },
        )
    }

    pub fn with(model: &Model, options: &ColumnOptions) -> Columns {
        let mut columns = Vec::new();
        let mut items_shown = Vec::new();
        let key_name = model
            .key
            .and_then(|k| model.fields.get(k))
            .map_or("key".to_string(), |f| f.column.clone());
        let key_ty = model
            .key
            .and_then(|k| model.fields.get(k))
            .map_or(Ty::Text, |f| f.ty.clone());
        columns.push(OutputColumn::new(key_name, kind_of(&key_ty)));
        items_shown.push(None);
        let mut fields = Vec::new();
        for &f in &options.keep {
            let Some(def) = model.fields.get(f) else {
                continue;
            };
            columns.push(OutputColumn::new(def.column.clone(), kind_of(&def.ty)));
            items_shown.push(None);
            fields.push((f, ValueFormat::new(&def.ty, model)));
        }
        let mut items = Vec::new();
        for (id, item) in model.items.iter().enumerate() {
            let wanted = match &options.only {
                Some(only) => only.contains(&id),
                None => options.all || item.is_output(),
            };
            if !(wanted || options.extra.contains(&id)) {
                continue;
            }
            columns.push(OutputColumn::new(item.name.clone(), kind_of(&item.ty)));
            items_shown.push(Some(id));
            let why = options.explain && matches!(item.ty, Ty::Grade(_) | Ty::Tags(_));
            let fmt = if options.labels {
                ValueFormat::labelled(&item.ty, model)
            } else {
                ValueFormat::new(&item.ty, model)
            };
            items.push((id, fmt, why));
            if why {
                columns.push(OutputColumn::new(
                    format!("{}_why", item.name),
                    ColumnKind::Text,
                ));
                items_shown.push(None);
            }
        }
        Columns {
            columns,
            items_shown,
            fields,
            items,
        }
    }
}

pub(super) fn kind_of(ty: &Ty) -> ColumnKind {
    match ty {
        Ty::Int | Ty::Decimal => ColumnKind::Number,
        Ty::Bool => ColumnKind::Bool,
        Ty::Date => ColumnKind::Date,
        Ty::Grade(_) => ColumnKind::Code,
        Ty::Tags(_) => ColumnKind::Tags,
        _ => ColumnKind::Text,
    }
}

/// Counts per code of one grade or tags.
#[derive(Clone, Debug)]
pub struct GradeSummary {
    pub item: ItemId,
    pub name: String,
    pub is_tags: bool,
    /// Per code, in declaration order: (code name, customers, measure sum).
    pub codes: Vec<(String, u64, Decimal)>,
    /// Customers without a code (a grade with no rule matched, tags with no tag).
    pub missing: (u64, Decimal),
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    /// Data records read (the header excluded).
    pub read: u64,
    pub written: u64,
    pub rejected: u64,
    pub grades: Vec<GradeSummary>,
    /// The measure's name, when one was summed.
    pub measure: Option<String>,
    /// Sum of the measure over all written rows.
    pub measure_total: Decimal,
    /// Measure sums that overflowed (then the sums are not exact).
    pub measure_overflow: bool,
    /// The lines of rejected rows that the population functions did count: a held run's rows
    /// whose evaluation overflowed only after the population was computed (every other
    /// rejected row is outside the population).
    pub rejected_in_population: Vec<u64>,
}

/// Why a run stopped.
#[derive(Debug)]
pub enum RunError {
    Data(DataError),
    /// `--strict`: the first bad row.
    Strict(Reject),
}

impl From<DataError> for RunError {
    fn from(e: DataError) -> RunError {
        RunError::Data(e)
    }
}
