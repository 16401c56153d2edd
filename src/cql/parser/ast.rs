//! The parsed form of CQL statements: syntax only. Names are not resolved (the parser has no
//! schema), literals keep their text until the planner knows the receiving column's type, and
//! anything that needs the schema to decide (a `{}` literal, a `{name: value}` literal, a user
//! type name) is left in a form the planner can settle.

use super::types::TypeExpr;

/// One parsed statement and the bind markers it contains, in the order they appear.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    /// Every `?` / `:name`, numbered left to right from 0 (a batch numbers across its
    /// statements). Its length is the prepared statement's variable count.
    pub bind_markers: Vec<BindMarker>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StatementKind {
    Select(Select),
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    Batch(Batch),
    Use(String),
    Truncate(QualifiedName),
    CreateKeyspace(CreateKeyspace),
    AlterKeyspace(AlterKeyspace),
    DropKeyspace(DropKeyspace),
    CreateTable(CreateTable),
    AlterTable(AlterTable),
    DropTable(DropTable),
    CreateType(CreateType),
    AlterType(AlterType),
    DropType(DropType),
    CreateIndex(CreateIndex),
    DropIndex(DropIndex),
    Describe(Describe),
    /// Recognised but not modelled (roles, functions, views, ...): the server answers
    /// "not supported" rather than a syntax error.
    Unsupported(UnsupportedKind),
}

/// `[keyspace.]name`; `keyspace` is `None` when the session's keyspace applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    pub keyspace: Option<String>,
    pub name: String,
}

/// A `?` or `:name` marker. `index` is its position among the statement's markers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindMarker {
    pub index: usize,
    pub name: Option<String>,
}

/// A constant as written. Numbers keep their text (with a leading `-` when negative) because
/// `1` may become a tinyint, a varint or a decimal depending on the column.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    String(String),
    Integer(String),
    /// Also `NaN`, `Infinity`, `-Infinity`.
    Float(String),
    Boolean(bool),
    Uuid([u8; 16]),
    Blob(Vec<u8>),
    Duration(String),
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithmeticOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// A value expression: what may stand on the right of `=` in WHERE, SET and VALUES.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    Literal(Literal),
    Bind(BindMarker),
    List(Vec<Term>),
    Set(Vec<Term>),
    Map(Vec<(Term, Term)>),
    /// `{}`: an empty map or an empty set; the column's type decides.
    EmptyBraces,
    /// `{field: term, ...}` with bare names as keys: a user type value (a map's keys would be
    /// terms, and a bare name is not a term).
    Udt(Vec<(String, Term)>),
    /// `(a, b)`: a tuple (also a one-element parenthesised term).
    Tuple(Vec<Term>),
    /// `now()`, `toTimestamp(now())`, `token(?)`, `ks.f(1)`.
    Function {
        name: QualifiedName,
        args: Vec<Term>,
    },
    /// `(int) ?`
    TypeHint(TypeExpr, Box<Term>),
    /// `-x` where `x` is not a number literal (those fold into the literal).
    Negate(Box<Term>),
    Arithmetic(ArithmeticOp, Box<Term>, Box<Term>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Contains,
    ContainsKey,
    Like,
}

/// The right side of `IN`.
#[derive(Clone, Debug, PartialEq)]
pub enum InValues {
    /// `IN (t1, t2)`; for tuple relations each term is a tuple or a marker.
    List(Vec<Term>),
    /// `IN ?` / `IN :name`: the whole list is one bound value.
    Marker(BindMarker),
}

/// One `AND`-separated WHERE restriction.
#[derive(Clone, Debug, PartialEq)]
pub enum Relation {
    /// `c op term` (including CONTAINS, CONTAINS KEY, LIKE).
    Compare {
        column: String,
        op: Operator,
        value: Term,
    },
    In {
        column: String,
        values: InValues,
    },
    /// `c[key] op term`
    MapElement {
        column: String,
        key: Term,
        op: Operator,
        value: Term,
    },
    /// `token(a, b) op term`
    Token {
        columns: Vec<String>,
        op: Operator,
        value: Term,
    },
    /// `(c1, c2) op (t1, t2)` or `(c1, c2) op ?`
    MultiCompare {
        columns: Vec<String>,
        op: Operator,
        value: Term,
    },
    MultiIn {
        columns: Vec<String>,
        values: InValues,
    },
    /// `c IS NOT NULL` (materialized view definitions).
    IsNotNull {
        column: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ordering {
    pub column: String,
    pub order: Order,
}

/// Something a SELECT returns per row.
#[derive(Clone, Debug, PartialEq)]
pub enum Selector {
    Column(String),
    /// `COUNT(*)` and `COUNT(1)`.
    CountRows,
    WriteTime(String),
    MaxWriteTime(String),
    Ttl(String),
    /// `f(args)`, including `count(c)`, `token(a, b)`, `toJson(x)`, aggregates.
    Function {
        name: QualifiedName,
        args: Vec<Selector>,
    },
    Cast(Box<Selector>, TypeExpr),
    /// `udt_col.field`
    Field(Box<Selector>, String),
    /// `map_col[key]`
    Element(Box<Selector>, Term),
    /// A constant, marker or collection literal.
    Term(Term),
    Arithmetic(ArithmeticOp, Box<Selector>, Box<Selector>),
    Negate(Box<Selector>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SelectItem {
    pub selector: Selector,
    pub alias: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// `*`
    Wildcard,
    Items(Vec<SelectItem>),
}

/// `SELECT [JSON] [DISTINCT] ... FROM t [WHERE ...] [GROUP BY ...] [ORDER BY ...]
/// [PER PARTITION LIMIT n] [LIMIT n] [ALLOW FILTERING]`
#[derive(Clone, Debug, PartialEq)]
pub struct Select {
    pub json: bool,
    pub distinct: bool,
    pub selection: Selection,
    pub table: QualifiedName,
    pub where_clause: Vec<Relation>,
    pub group_by: Vec<String>,
    pub order_by: Vec<Ordering>,
    /// An integer literal or a marker.
    pub per_partition_limit: Option<Term>,
    pub limit: Option<Term>,
    pub allow_filtering: bool,
}

/// `USING TTL x AND TIMESTAMP y`; each an integer literal or a marker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Using {
    pub ttl: Option<Term>,
    pub timestamp: Option<Term>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonDefault {
    /// Columns missing from the JSON become null (the default).
    Null,
    /// Columns missing from the JSON are left as they are.
    Unset,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InsertValues {
    /// `(cols) VALUES (terms)`
    Columns {
        columns: Vec<String>,
        values: Vec<Term>,
    },
    /// `JSON 'text' | JSON ?`
    Json { value: Term, default: JsonDefault },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    pub table: QualifiedName,
    pub values: InsertValues,
    pub if_not_exists: bool,
    pub using: Using,
}

/// One `SET` item of an UPDATE.
#[derive(Clone, Debug, PartialEq)]
pub enum Assignment {
    /// `c = term`
    Set { column: String, value: Term },
    /// `c = c + term` / `c += term`: counter increment, list append, set union, map put.
    Add { column: String, value: Term },
    /// `c = c - term` / `c -= term`
    Subtract { column: String, value: Term },
    /// `c = term + c`: list prepend.
    Prepend { column: String, value: Term },
    /// `c[key] = term`: map entry or list index.
    SetElement {
        column: String,
        key: Term,
        value: Term,
    },
    /// `c.field = term`
    SetField {
        column: String,
        field: String,
        value: Term,
    },
}

/// What a condition tests: the column itself, an element, or a UDT field.
#[derive(Clone, Debug, PartialEq)]
pub enum ConditionTarget {
    Column,
    Element(Term),
    Field(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ConditionTest {
    Compare(Operator, Term),
    In(InValues),
}

/// `IF c op term` item of an UPDATE or DELETE.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub column: String,
    pub target: ConditionTarget,
    pub test: ConditionTest,
}

/// The `IF` clause of UPDATE and DELETE.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum IfClause {
    #[default]
    None,
    Exists,
    Conditions(Vec<Condition>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub table: QualifiedName,
    pub using: Using,
    pub assignments: Vec<Assignment>,
    pub where_clause: Vec<Relation>,
    pub if_clause: IfClause,
}

/// What a DELETE removes: a column, a collection element or a UDT field.
#[derive(Clone, Debug, PartialEq)]
pub enum DeleteTarget {
    Column(String),
    Element(String, Term),
    Field(String, String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Delete {
    /// Empty: the whole row (or partition / range).
    pub targets: Vec<DeleteTarget>,
    pub table: QualifiedName,
    pub timestamp: Option<Term>,
    pub where_clause: Vec<Relation>,
    pub if_clause: IfClause,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchKind {
    Logged,
    Unlogged,
    Counter,
}

#[derive(Clone, Debug, PartialEq)]
pub enum BatchStatement {
    Insert(Insert),
    Update(Update),
    Delete(Delete),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub kind: BatchKind,
    pub using: Using,
    pub statements: Vec<BatchStatement>,
}

/// A `name = value` property of WITH clauses. Values keep Cassandra's raw text form: a
/// string's content, a number's digits, `true`/`false`, or a bare word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Property {
    pub name: String,
    pub value: PropertyValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropertyValue {
    Simple(String),
    /// `{'class': 'SimpleStrategy', 'replication_factor': 1}`
    Map(Vec<(String, String)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateKeyspace {
    pub name: String,
    pub if_not_exists: bool,
    pub properties: Vec<Property>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlterKeyspace {
    pub name: String,
    pub properties: Vec<Property>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DropKeyspace {
    pub name: String,
    pub if_exists: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: TypeExpr,
    pub is_static: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrimaryKey {
    pub partition: Vec<String>,
    pub clustering: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateTable {
    pub name: QualifiedName,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    pub primary_key: PrimaryKey,
    pub clustering_order: Vec<Ordering>,
    pub properties: Vec<Property>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlterTableAction {
    Add(Vec<ColumnDef>),
    Drop(Vec<String>),
    With(Vec<Property>),
    /// `RENAME a TO b AND c TO d`
    Rename(Vec<(String, String)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlterTable {
    pub name: QualifiedName,
    pub action: AlterTableAction,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DropTable {
    pub name: QualifiedName,
    pub if_exists: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateType {
    pub name: QualifiedName,
    pub if_not_exists: bool,
    pub fields: Vec<(String, TypeExpr)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlterTypeAction {
    Add(String, TypeExpr),
    Rename(Vec<(String, String)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlterType {
    pub name: QualifiedName,
    pub action: AlterTypeAction,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DropType {
    pub name: QualifiedName,
    pub if_exists: bool,
}

/// What of a column an index covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexKind {
    /// The column's value (for a non-frozen collection Cassandra means its values).
    Simple,
    Keys,
    Values,
    Entries,
    Full,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexTarget {
    pub column: String,
    pub kind: IndexKind,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateIndex {
    pub name: Option<String>,
    pub table: QualifiedName,
    pub if_not_exists: bool,
    pub custom: bool,
    pub targets: Vec<IndexTarget>,
    /// `USING 'class'`
    pub using: Option<String>,
    /// `WITH OPTIONS = {...}` and any other property.
    pub properties: Vec<Property>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DropIndex {
    pub name: QualifiedName,
    pub if_exists: bool,
}

/// `DESCRIBE ...`, which cqlsh 6 sends to Cassandra 4 servers.
#[derive(Clone, Debug, PartialEq)]
pub struct Describe {
    pub target: DescribeTarget,
    pub with_internals: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DescribeTarget {
    Cluster,
    /// `SCHEMA` / `FULL SCHEMA` (full includes system keyspaces).
    Schema {
        full: bool,
    },
    Keyspaces,
    /// `[ONLY] KEYSPACE [ks]`; no name means the session keyspace.
    Keyspace {
        only: bool,
        name: Option<String>,
    },
    Tables,
    Table(QualifiedName),
    Index(QualifiedName),
    MaterializedView(QualifiedName),
    Types,
    Type(QualifiedName),
    Functions,
    Function(QualifiedName),
    Aggregates,
    Aggregate(QualifiedName),
    /// `DESCRIBE x` / `DESCRIBE ks.x`: whatever object has that name.
    Name(QualifiedName),
}

/// Statements recognised only far enough to refuse them cleanly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsupportedKind {
    CreateMaterializedView,
    AlterMaterializedView,
    DropMaterializedView,
    CreateFunction,
    DropFunction,
    CreateAggregate,
    DropAggregate,
    CreateTrigger,
    DropTrigger,
    CreateRole,
    AlterRole,
    DropRole,
    CreateUser,
    AlterUser,
    DropUser,
    Grant,
    Revoke,
    ListRoles,
    ListUsers,
    ListPermissions,
}

impl UnsupportedKind {
    /// The statement's name as a message would show it.
    pub fn name(self) -> &'static str {
        match self {
            UnsupportedKind::CreateMaterializedView => "CREATE MATERIALIZED VIEW",
            UnsupportedKind::AlterMaterializedView => "ALTER MATERIALIZED VIEW",
            UnsupportedKind::DropMaterializedView => "DROP MATERIALIZED VIEW",
            UnsupportedKind::CreateFunction => "CREATE FUNCTION",
            UnsupportedKind::DropFunction => "DROP FUNCTION",
            UnsupportedKind::CreateAggregate => "CREATE AGGREGATE",
            UnsupportedKind::DropAggregate => "DROP AGGREGATE",
            UnsupportedKind::CreateTrigger => "CREATE TRIGGER",
            UnsupportedKind::DropTrigger => "DROP TRIGGER",
            UnsupportedKind::CreateRole => "CREATE ROLE",
            UnsupportedKind::AlterRole => "ALTER ROLE",
            UnsupportedKind::DropRole => "DROP ROLE",
            UnsupportedKind::CreateUser => "CREATE USER",
            UnsupportedKind::AlterUser => "ALTER USER",
            UnsupportedKind::DropUser => "DROP USER",
            UnsupportedKind::Grant => "GRANT",
            UnsupportedKind::Revoke => "REVOKE",
            UnsupportedKind::ListRoles => "LIST ROLES",
            UnsupportedKind::ListUsers => "LIST USERS",
            UnsupportedKind::ListPermissions => "LIST PERMISSIONS",
        }
    }
}
