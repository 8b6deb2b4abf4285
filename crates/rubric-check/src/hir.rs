//! The checked model: every name resolved, every expression typed. This is what the evaluator,
//! the SQL backend, the test runner and the language server consume; none of them resolves a
//! name or re-derives a type again.

use rubric_syntax::ast::{Literal, UnOp};
use rubric_syntax::date::Date;
use rubric_syntax::{Decimal, Span};

pub type ItemId = usize;
pub type FieldId = usize;
pub type PopId = usize;
pub type EventsId = usize;
pub type AggId = usize;

/// A checked scheme. Built even when there are errors (with [`Ty::Error`] where a type could not
/// be found), so the language server can still answer questions; evaluate it only when
/// [`crate::Checked::has_errors`] is false.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub name: Option<String>,
    pub as_of: Option<Date>,
    pub fields: Vec<FieldDef>,
    /// The key field; `None` only when the scheme has an error about it.
    pub key: Option<FieldId>,
    /// Lets, points, scores, grades and tags, in declaration order.
    pub items: Vec<Item>,
    /// The items in an order where every item comes after the items it reads (cycles broken
    /// arbitrarily; a cycle is an error).
    pub order: Vec<ItemId>,
    /// Every population-function call, evaluated over the whole population.
    pub pops: Vec<PopDef>,
    pub tests: Vec<TestCase>,
    /// The `events` blocks: files of many rows per customer.
    pub events: Vec<EventsDef>,
    /// Every aggregate over events (`sum(orders.amount where …)`), computed per customer before
    /// any `let` reads it.
    pub aggs: Vec<AggDef>,
    /// Every resolved reference, for go-to-definition, references, rename and hover.
    pub refs: Vec<Reference>,
}

impl Model {
    /// The output columns of `rubric run`, after the key: scores, grades and tags in declaration
    /// order.
    pub fn outputs(&self) -> impl Iterator<Item = ItemId> + '_ {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.is_output())
            .map(|(id, _)| id)
    }
    pub fn item_named(&self, name: &str) -> Option<ItemId> {
        self.items.iter().position(|i| i.name == name)
    }
    pub fn field_named(&self, name: &str) -> Option<FieldId> {
        self.fields.iter().position(|f| f.name == name)
    }
    pub fn grade(&self, id: ItemId) -> Option<&GradeDef> {
        match &self.items.get(id)?.kind {
            ItemKind::Grade(g) => Some(g),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct FieldDef {
    pub name: String,
    /// The column header in the data: the quoted header, else the name.
    pub column: String,
    pub ty: Ty,
    pub optional: bool,
    pub is_key: bool,
    /// The span of the field's name.
    pub span: Span,
    pub doc: Option<String>,
    /// `Some` for a column a run computes from events rather than reads: the aggregate whose
    /// per-customer value it holds (see `rubric_eval::events::row_model`).
    pub agg: Option<AggId>,
}

/// An `events` block: a file of many rows per customer (orders, visits, payments).
#[derive(Clone, Debug)]
pub struct EventsDef {
    pub name: String,
    pub label: Option<String>,
    /// The input key the events are keyed by (`by customer_id`); `None` after an error.
    pub key: Option<FieldId>,
    /// The events' own fields; the key column is read through `key`'s header.
    pub fields: Vec<FieldDef>,
    /// The span of the block's name.
    pub span: Span,
    pub decl_span: Span,
    pub doc: Option<String>,
}

impl EventsDef {
    pub fn field_named(&self, name: &str) -> Option<FieldId> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// One aggregate over an `events` block, per customer.
#[derive(Clone, Debug)]
pub struct AggDef {
    pub func: AggFunc,
    pub events: EventsId,
    /// The value aggregated, over the events' fields (`None` for `count(E)`).
    pub arg: Option<TExpr>,
    /// `where C`: only the events where `C` is true count.
    pub filter: Option<TExpr>,
    pub ty: Ty,
    /// The whole call.
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggFunc {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    CountDistinct,
}

impl AggFunc {
    pub const ALL: [AggFunc; 6] = [
        AggFunc::Count,
        AggFunc::Sum,
        AggFunc::Avg,
        AggFunc::Min,
        AggFunc::Max,
        AggFunc::CountDistinct,
    ];
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::CountDistinct => "count_distinct",
        }
    }
    pub fn from_name(name: &str) -> Option<AggFunc> {
        AggFunc::ALL.into_iter().find(|f| f.name() == name)
    }
    /// What a customer with no events gets: 0 for `count`, `sum` and `count_distinct`, missing
    /// for the others.
    pub fn zero_when_empty(self) -> bool {
        matches!(self, AggFunc::Count | AggFunc::Sum | AggFunc::CountDistinct)
    }
    /// What it means, for hover and the reference.
    pub fn doc(self) -> &'static str {
        match self {
            AggFunc::Count => "the number of the customer's events (where the filter holds); 0 without events",
            AggFunc::Sum => "the sum of the value over the customer's events, missing values ignored; 0 without events",
            AggFunc::Avg => "the mean of the value over the customer's events, missing values ignored; missing without events",
            AggFunc::Min => "the smallest value over the customer's events; missing without events",
            AggFunc::Max => "the largest value over the customer's events; missing without events",
            AggFunc::CountDistinct => "the number of different values over the customer's events, missing values ignored; 0 without events",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Item {
    pub name: String,
    /// The span of the declared name.
    pub span: Span,
    /// The span of the whole declaration.
    pub decl_span: Span,
    pub label: Option<String>,
    pub doc: Option<String>,
    /// The item's value type: a number for lets/points/scores, `Grade(self)` or `Tags(self)`.
    pub ty: Ty,
    /// Whether the value can be missing for some customer.
    pub nullable: bool,
    pub kind: ItemKind,
    /// Items this one reads directly (including through population-function arguments).
    pub deps: Vec<ItemId>,
}

impl Item {
    pub fn is_output(&self) -> bool {
        matches!(self.kind, ItemKind::Score { .. } | ItemKind::Grade(_))
    }
    pub fn keyword(&self) -> &'static str {
        match &self.kind {
            ItemKind::Let { .. } => "let",
            ItemKind::Points { .. } => "points",
            ItemKind::Score { .. } => "score",
            ItemKind::Grade(g) if g.is_tags => "tags",
            ItemKind::Grade(_) => "grade",
        }
    }
}

#[derive(Clone, Debug)]
pub enum ItemKind {
    Let {
        value: TExpr,
    },
    /// First matching rule gives the value; none → missing.
    Points {
        by: Option<TExpr>,
        rules: Vec<PointsRule>,
    },
    /// Σ weight × term (× term bonus when its condition holds), × every whole-score bonus that holds.
    Score {
        terms: Vec<ScoreTerm>,
        bonuses: Vec<Bonus>,
    },
    Grade(GradeDef),
}

#[derive(Clone, Debug)]
pub struct PointsRule {
    pub value: Decimal,
    /// `None` for `otherwise`.
    pub cond: Option<TExpr>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ScoreTerm {
    pub expr: TExpr,
    pub weight: Decimal,
    pub bonus: Option<Bonus>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Bonus {
    pub factor: Decimal,
    pub cond: TExpr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct GradeDef {
    pub is_tags: bool,
    pub by: Option<TExpr>,
    pub codes: Vec<CodeDef>,
    /// The attribute keys every rule carries, with their types, in first-rule order.
    pub attr_keys: Vec<(String, Ty)>,
}

impl GradeDef {
    pub fn code_named(&self, name: &str) -> Option<usize> {
        self.codes.iter().position(|c| c.name == name)
    }
    pub fn has_otherwise(&self) -> bool {
        self.codes.iter().any(|c| c.cond.is_none())
    }
}

#[derive(Clone, Debug)]
pub struct CodeDef {
    pub name: String,
    pub label: Option<String>,
    /// `None` for `otherwise`.
    pub cond: Option<TExpr>,
    /// Attribute values, in [`GradeDef::attr_keys`] order.
    pub attrs: Vec<Literal>,
    /// The span of the code's name.
    pub span: Span,
    /// The span of the whole rule.
    pub rule_span: Span,
    pub doc: Option<String>,
}

#[derive(Clone, Debug)]
pub struct PopDef {
    pub func: PopFunc,
    pub arg: Option<TExpr>,
    /// `within FIELD`: the partition expression (a field or item reference).
    pub within: Option<TExpr>,
    pub span: Span,
    /// Items the argument and the partition read.
    pub deps: Vec<ItemId>,
    /// Other population functions the argument or partition uses.
    pub pops: Vec<PopId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PopFunc {
    Total,
    Mean,
    MinOf,
    MaxOf,
    Count,
    Rank,
    TopShare,
    CumulativeShare,
}

impl PopFunc {
    pub const ALL: [PopFunc; 8] = [
        PopFunc::Total,
        PopFunc::Mean,
        PopFunc::MinOf,
        PopFunc::MaxOf,
        PopFunc::Count,
        PopFunc::Rank,
        PopFunc::TopShare,
        PopFunc::CumulativeShare,
    ];
    pub fn name(self) -> &'static str {
        match self {
            PopFunc::Total => "total",
            PopFunc::Mean => "mean",
            PopFunc::MinOf => "min_of",
            PopFunc::MaxOf => "max_of",
            PopFunc::Count => "count",
            PopFunc::Rank => "rank",
            PopFunc::TopShare => "top_share",
            PopFunc::CumulativeShare => "cumulative_share",
        }
    }
    pub fn from_name(name: &str) -> Option<PopFunc> {
        PopFunc::ALL.into_iter().find(|f| f.name() == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    DaysSince,
    MonthsSince,
    YearsSince,
    Year,
    StartsWith,
    EndsWith,
    Contains,
    Lower,
    Upper,
    Len,
    Min,
    Max,
    Abs,
    Round,
    MonthStart,
}

impl Builtin {
    pub const ALL: [Builtin; 15] = [
        Builtin::DaysSince,
        Builtin::MonthsSince,
        Builtin::YearsSince,
        Builtin::Year,
        Builtin::StartsWith,
        Builtin::EndsWith,
        Builtin::Contains,
        Builtin::Lower,
        Builtin::Upper,
        Builtin::Len,
        Builtin::Min,
        Builtin::Max,
        Builtin::Abs,
        Builtin::Round,
        Builtin::MonthStart,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Builtin::DaysSince => "days_since",
            Builtin::MonthsSince => "months_since",
            Builtin::YearsSince => "years_since",
            Builtin::Year => "year",
            Builtin::StartsWith => "starts_with",
            Builtin::EndsWith => "ends_with",
            Builtin::Contains => "contains",
            Builtin::Lower => "lower",
            Builtin::Upper => "upper",
            Builtin::Len => "len",
            Builtin::Min => "min",
            Builtin::Max => "max",
            Builtin::Abs => "abs",
            Builtin::Round => "round",
            Builtin::MonthStart => "month_start",
        }
    }
    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// Static types.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Int,
    Decimal,
    Text,
    Bool,
    Date,
    Duration,
    /// The code of one grade.
    Grade(ItemId),
    /// A set of codes of one `tags` declaration.
    Tags(ItemId),
    List(Box<Ty>),
    /// An expression whose type could not be found; no further errors are reported about it.
    Error,
}

impl Ty {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Decimal | Ty::Error)
    }
    /// How a user reads the type, e.g. in "expected a number, found text".
    pub fn describe(&self, model: &Model) -> String {
        match self {
            Ty::Int => "int".into(),
            Ty::Decimal => "decimal".into(),
            Ty::Text => "text".into(),
            Ty::Bool => "bool".into(),
            Ty::Date => "date".into(),
            Ty::Duration => "duration".into(),
            Ty::Grade(g) => format!(
                "a code of `{}`",
                model.items.get(*g).map_or("?", |i| i.name.as_str())
            ),
            Ty::Tags(g) => format!(
                "the tags `{}`",
                model.items.get(*g).map_or("?", |i| i.name.as_str())
            ),
            Ty::List(t) => format!("a list of {}", t.describe(model)),
            Ty::Error => "unknown".into(),
        }
    }
}

/// A typed, resolved expression.
#[derive(Clone, Debug)]
pub struct TExpr {
    pub kind: TExprKind,
    pub ty: Ty,
    /// Whether the value can be missing.
    pub nullable: bool,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Debug)]
pub enum TExprKind {
    Lit(Literal),
    Field(FieldId),
    Item(ItemId),
    /// A code of a grade or tags, as a constant (`gold` in `tier == gold`).
    Code {
        grade: ItemId,
        code: usize,
    },
    Today,
    /// The `by` subject of the enclosing points, grade or tags.
    Subject,
    List(Vec<TExpr>),
    Unary(UnOp, Box<TExpr>),
    /// Numbers; `Add`/`Sub` also `date ± duration`, and `Sub` gives days between two dates.
    Arith(ArithOp, Box<TExpr>, Box<TExpr>),
    Cmp(CmpOp, Box<TExpr>, Box<TExpr>),
    And(Box<TExpr>, Box<TExpr>),
    Or(Box<TExpr>, Box<TExpr>),
    /// `value in [..]` / `not in`; the list is a `List` expression.
    In {
        value: Box<TExpr>,
        list: Box<TExpr>,
        negated: bool,
    },
    /// `tags has code`
    Has {
        tags: Box<TExpr>,
        code: usize,
    },
    Between {
        value: Box<TExpr>,
        lo: Box<TExpr>,
        hi: Box<TExpr>,
    },
    /// `date within duration`: `date >= today - duration and date <= today`.
    Within {
        date: Box<TExpr>,
        duration: Box<TExpr>,
    },
    IsMissing {
        expr: Box<TExpr>,
        present: bool,
    },
    Coalesce(Box<TExpr>, Box<TExpr>),
    If(Box<TExpr>, Box<TExpr>, Box<TExpr>),
    Call(Builtin, Vec<TExpr>),
    Pop(PopId),
    /// An aggregate over events, per customer.
    Agg(AggId),
    /// `orders.amount` inside an aggregate: a field of one event.
    EventField {
        events: EventsId,
        field: FieldId,
    },
    /// `tier.owner`: attribute `attr` of the code held by the grade expression.
    Attr {
        value: Box<TExpr>,
        grade: ItemId,
        attr: usize,
    },
    /// `tier["c2"]` in a test: the expression evaluated for the customer with that key.
    Index {
        value: Box<TExpr>,
        key: Box<TExpr>,
    },
}

/// A `test` block.
#[derive(Clone, Debug)]
pub struct TestCase {
    pub name: String,
    pub span: Span,
    /// One record per customer; with `given {…}` there is exactly one and `many` is false.
    pub records: Vec<TestRecord>,
    pub many: bool,
    pub as_of: Option<Date>,
    pub expects: Vec<Expect>,
}

#[derive(Clone, Debug)]
pub struct TestRecord {
    /// Field values as written; fields not listed are missing.
    pub values: Vec<(FieldId, Literal)>,
    /// The customer's events, per `events` block: each event's field values as written.
    pub events: Vec<(EventsId, Vec<TestEvent>)>,
    pub span: Span,
}

/// One event given for a test customer: its field values as written (fields not listed are
/// missing).
pub type TestEvent = Vec<(FieldId, Literal)>;

#[derive(Clone, Debug)]
pub struct Expect {
    pub expr: TExpr,
    pub span: Span,
}

/// What a name in the source refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Symbol {
    Field(FieldId),
    Item(ItemId),
    Code { grade: ItemId, code: usize },
    Attr { grade: ItemId, attr: usize },
    Builtin(Builtin),
    Pop(PopFunc),
    Events(EventsId),
    EventField { events: EventsId, field: FieldId },
    Agg(AggFunc),
}

/// One occurrence of a symbol in the source: a definition or a use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    pub span: Span,
    pub symbol: Symbol,
    pub is_definition: bool,
}
