//! The typed AST. Every node has a byte span; `Spanned` equality ignores spans, and so does the
//! derived equality of every node here (each `span` field is a `Span` compared through
//! [`NoSpan`]-style wrappers below), so `parse(fmt(x)) == parse(x)` is a meaningful test.

use crate::date::{Date, Duration};
use crate::span::{Span, Spanned};
use crate::Decimal;

pub type Name = Spanned<String>;

/// A span that never takes part in equality.
#[derive(Clone, Copy, Default)]
pub struct Loc(pub Span);

impl PartialEq for Loc {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Loc {}
impl std::fmt::Debug for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "@{:?}", self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct File {
    pub decls: Vec<Decl>,
    /// Declarations that did not parse, so the checker can stay quiet about what they declare.
    pub broken: Vec<BrokenDecl>,
}

/// A top-level declaration with a syntax error: its keyword, and its name when one could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenDecl {
    pub keyword: String,
    pub name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decl {
    pub kind: DeclKind,
    /// The `///` lines right before the declaration, without the slashes.
    pub doc: Option<String>,
    pub loc: Loc,
}

impl Decl {
    pub fn span(&self) -> Span {
        self.loc.0
    }
    /// The declared name, for declarations that have one.
    pub fn name(&self) -> Option<&Name> {
        match &self.kind {
            DeclKind::Let(l) => Some(&l.name),
            DeclKind::Points(p) => Some(&p.name),
            DeclKind::Score(s) => Some(&s.name),
            DeclKind::Grade(g) => Some(&g.name),
            DeclKind::Events(e) => Some(&e.name),
            _ => None,
        }
    }
    pub fn keyword(&self) -> &'static str {
        match &self.kind {
            DeclKind::Scheme(_) => "scheme",
            DeclKind::AsOf(_) => "as_of",
            DeclKind::Input(_) => "input",
            DeclKind::Events(_) => "events",
            DeclKind::Let(_) => "let",
            DeclKind::Points(_) => "points",
            DeclKind::Score(_) => "score",
            DeclKind::Grade(g) if g.is_tags => "tags",
            DeclKind::Grade(_) => "grade",
            DeclKind::Test(_) => "test",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclKind {
    Scheme(Spanned<String>),
    AsOf(Spanned<Date>),
    Input(Input),
    /// `events orders "订单" by customer_id { … }`: a file of many rows per customer.
    Events(Events),
    Let(Let),
    Points(Points),
    Score(Score),
    /// `grade` and `tags` share one shape; `is_tags` tells them apart.
    Grade(Grade),
    Test(Test),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Events {
    pub name: Name,
    pub label: Option<Spanned<String>>,
    /// The input field that keys each event to its customer (`by customer_id`).
    pub by: Name,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: Name,
    /// The type as written (`decimal`); the checker validates it.
    pub ty: Name,
    pub optional: bool,
    pub key: Option<Loc>,
    /// The column header in the data, when it differs from the name.
    pub header: Option<Spanned<String>>,
    pub doc: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Let {
    pub name: Name,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Points {
    pub name: Name,
    pub by: Option<Expr>,
    pub rules: Vec<PointsRule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointsRule {
    pub value: Spanned<Decimal>,
    pub cond: Cond,
    pub loc: Loc,
}

/// A rule's condition. With a `by` subject, an operator-first condition such as `>= 85` is an
/// expression whose left operand is [`ExprKind::Subject`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    When(Expr),
    Otherwise(Loc),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Score {
    pub name: Name,
    pub label: Option<Spanned<String>>,
    pub terms: Vec<Term>,
    /// Bonuses after the closing brace: they multiply the whole score.
    pub bonuses: Vec<Bonus>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub expr: Expr,
    pub weight: Spanned<Decimal>,
    pub bonus: Option<Bonus>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bonus {
    pub factor: Spanned<Decimal>,
    pub cond: Expr,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grade {
    pub is_tags: bool,
    pub name: Name,
    pub label: Option<Spanned<String>>,
    pub by: Option<Expr>,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub code: Name,
    pub label: Option<Spanned<String>>,
    pub cond: Cond,
    pub attrs: Vec<Attr>,
    pub doc: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub key: Name,
    pub value: Spanned<Literal>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Test {
    pub name: Spanned<String>,
    pub items: Vec<TestItem>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestItem {
    /// `given {…}` (one record, `many == false`) or `given [{…}, …]`.
    Given {
        records: Vec<Record>,
        many: bool,
        loc: Loc,
    },
    AsOf(Spanned<Date>),
    Expect(Expr),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub fields: Vec<(Name, Spanned<Literal>)>,
    /// `orders: [ {…}, … ]`: the customer's events of one `events` block.
    pub events: Vec<RecordEvents>,
    pub loc: Loc,
}

/// The events of one block given for a test customer: `orders: [ { amount: 20 }, … ]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordEvents {
    pub name: Name,
    pub records: Vec<Record>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    /// A number written without a fraction or percent: an `int`.
    Int(Decimal),
    /// A number with a fraction, or a percent (`50%` is 0.5): a `decimal`.
    Decimal(Decimal),
    Text(String),
    Bool(bool),
    Date(Date),
    Duration(Duration),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub loc: Loc,
}

impl Expr {
    pub fn span(&self) -> Span {
        self.loc.0
    }
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr {
            kind,
            loc: Loc(span),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Has,
    Within,
    Coalesce,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Has => "has",
            BinOp::Within => "within",
            BinOp::Coalesce => "??",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Lit(Literal),
    Name(String),
    Today,
    /// The subject of a `by` block, left implicit in an operator-first condition (`>= 85`).
    Subject,
    List(Vec<Expr>),
    Paren(Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `x between lo and hi`, inclusive.
    Between(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `x is missing` (`present == false`) or `x is present`.
    Is {
        expr: Box<Expr>,
        present: bool,
    },
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A function call; `within` is the partition of a population function, `filter` the
    /// `where` condition of an aggregate over events.
    Call {
        func: Name,
        args: Vec<Expr>,
        filter: Option<Box<Expr>>,
        within: Option<Name>,
    },
    /// `tier.owner`
    Attr(Box<Expr>, Name),
    /// `tier["c2"]` (in tests)
    Index(Box<Expr>, Box<Expr>),
}
