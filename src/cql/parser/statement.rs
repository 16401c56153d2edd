//! The statement dispatch: which grammar a statement's first words select, plus the small
//! statements (USE, TRUNCATE) and the recognised-only ones that start with their own word
//! (GRANT, REVOKE, LIST).

use super::ast::{StatementKind, UnsupportedKind};
use super::cursor::Cursor;
use super::error::Result;

impl Cursor<'_> {
    /// One statement, without its terminating `;`.
    pub fn statement(&mut self) -> Result<StatementKind> {
        if self.is_kw("select") {
            return self.select().map(StatementKind::Select);
        }
        if self.is_kw("insert") {
            return self.insert().map(StatementKind::Insert);
        }
        if self.is_kw("update") {
            return self.update().map(StatementKind::Update);
        }
        if self.is_kw("delete") {
            return self.delete().map(StatementKind::Delete);
        }
        if self.is_kw("begin") {
            return self.batch().map(StatementKind::Batch);
        }
        if self.eat_kw("use") {
            return self.name().map(StatementKind::Use);
        }
        if self.eat_kw("truncate") {
            let _ = self.eat_kw("table") || self.eat_kw("columnfamily");
            return self.qualified_name().map(StatementKind::Truncate);
        }
        if self.eat_kw("create") {
            return self.create();
        }
        if self.eat_kw("alter") {
            return self.alter();
        }
        if self.eat_kw("drop") {
            return self.drop();
        }
        if self.eat_kw("describe") || self.eat_kw("desc") {
            return self.describe().map(StatementKind::Describe);
        }
        if self.eat_kw("grant") {
            return Ok(self.unsupported(UnsupportedKind::Grant));
        }
        if self.eat_kw("revoke") {
            return Ok(self.unsupported(UnsupportedKind::Revoke));
        }
        if self.eat_kw("list") {
            let kind = if self.is_kw("roles") {
                UnsupportedKind::ListRoles
            } else if self.is_kw("users") {
                UnsupportedKind::ListUsers
            } else {
                UnsupportedKind::ListPermissions
            };
            return Ok(self.unsupported(kind));
        }
        Err(self.no_viable())
    }
}
