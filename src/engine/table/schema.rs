//! Keyspaces, tables and types in `cql_schema` (see `keys::table`): DDL applied in log order,
//! the schema version bumped by each change.

use crate::command::table::schema::{ColumnKind, KeyspaceDef, Schema, TableDef};
use crate::command::table::value::UdtType;
use crate::command::table::{Command, Reply, TableChange, TableError};
use crate::command::{CommandError, Response};
use crate::engine::corrupt;
use crate::engine::keys::table as keys;
use crate::engine::store::overlay::ScanRange;
use crate::engine::store::space::Space;
use crate::engine::store::txn::Txn;
use crate::engine::ApplyContext;

pub(super) fn apply(
    txn: &mut Txn<'_>,
    cmd: &Command,
    ctx: &ApplyContext,
) -> Result<Response, CommandError> {
    let changed = match cmd {
        Command::CreateKeyspace {
            keyspace,
            if_not_exists,
        } => {
            if load_keyspace(txn, &keyspace.name)?.is_some() {
                if *if_not_exists {
                    return done(false);
                }
                return Err(TableError::KeyspaceExists(keyspace.name.clone()).into());
            }
            put(txn, keys::keyspace(&keyspace.name), keyspace);
            true
        }
        Command::AlterKeyspace { keyspace } => {
            require_keyspace(txn, &keyspace.name)?;
            put(txn, keys::keyspace(&keyspace.name), keyspace);
            true
        }
        Command::DropKeyspace { name, if_exists } => {
            if load_keyspace(txn, name)?.is_none() {
                if *if_exists {
                    return done(false);
                }
                return Err(TableError::NoKeyspace(name.clone()).into());
            }
            for t in tables(txn)?.into_iter().filter(|t| &t.keyspace == name) {
                drop_table(txn, &t);
            }
            for u in types(txn)?.into_iter().filter(|u| &u.keyspace == name) {
                txn.delete_record(Space::CqlSchema, keys::udt(&u.keyspace, &u.name));
            }
            txn.delete_record(Space::CqlSchema, keys::keyspace(name));
            true
        }
        Command::CreateTable {
            table,
            if_not_exists,
        } => {
            require_keyspace(txn, &table.keyspace)?;
            if find_table(txn, &table.keyspace, &table.name)?.is_some() {
                if *if_not_exists {
                    return done(false);
                }
                return Err(
                    TableError::TableExists(table.keyspace.clone(), table.name.clone()).into(),
                );
            }
            let mut t = (**table).clone();
            t.version = ctx.index;
            txn.engine.newest_writes.created(&t.id, t.version);
            store_table(txn, &t);
            txn.put_record(
                Space::CqlSchema,
                keys::table_name(&t.keyspace, &t.name),
                t.id.to_vec(),
            );
            true
        }
        Command::AlterTable {
            keyspace,
            name,
            change,
        } => {
            let mut t = existing_table(txn, keyspace, name)?;
            alter(&mut t, change)?;
            store_table(txn, &t);
            true
        }
        Command::DropTable {
            keyspace,
            name,
            if_exists,
        } => match find_table(txn, keyspace, name)? {
            Some(t) => {
                drop_table(txn, &t);
                true
            }
            None if *if_exists => return done(false),
            None => {
                require_keyspace(txn, keyspace)?;
                return Err(TableError::NoTable(keyspace.clone(), name.clone()).into());
            }
        },
        Command::Truncate { keyspace, name } => {
            let mut t = existing_table(txn, keyspace, name)?;
            super::rows::collect_version(txn, &t);
            t.version = ctx.index;
            txn.engine.newest_writes.created(&t.id, t.version);
            store_table(txn, &t);
            false
        }
        Command::CreateType { udt, if_not_exists } => {
            require_keyspace(txn, &udt.keyspace)?;
            let key = keys::udt(&udt.keyspace, &udt.name);
            if txn.get(Space::CqlSchema, &key)?.is_some() {
                if *if_not_exists {
                    return done(false);
                }
                return Err(TableError::TypeExists(udt.keyspace.clone(), udt.name.clone()).into());
            }
            put(txn, key, udt);
            true
        }
        Command::DropType {
            keyspace,
            name,
            if_exists,
        } => {
            let key = keys::udt(keyspace, name);
            if txn.get(Space::CqlSchema, &key)?.is_none() {
                if *if_exists {
                    return done(false);
                }
                return Err(TableError::NoType(keyspace.clone(), name.clone()).into());
            }
            txn.delete_record(Space::CqlSchema, key);
            true
        }
        Command::Write(_) | Command::Conditional { .. } => {
            unreachable!("rows are applied by table::rows")
        }
    };
    if changed {
        bump_version(txn, ctx.index);
    }
    done(true)
}

fn done(changed: bool) -> Result<Response, CommandError> {
    Ok(Response::Table(Reply::SchemaChanged(changed)))
}

fn alter(t: &mut TableDef, change: &TableChange) -> Result<(), TableError> {
    match change {
        TableChange::Add(cols) => {
            for c in cols {
                if t.column(&c.name).is_some() {
                    return Err(TableError::Invalid(format!(
                        "Column with name '{}' already exists",
                        c.name
                    )));
                }
                let mut c = c.clone();
                c.id = t.next_column;
                t.next_column += 1;
                t.columns.push(c);
            }
        }
        TableChange::Drop(names) => {
            for n in names {
                match t.column(n) {
                    None => {
                        return Err(TableError::Invalid(format!(
                            "Column {n} was not found in table {}",
                            t.name
                        )))
                    }
                    Some(c) if !matches!(c.kind, ColumnKind::Regular | ColumnKind::Static) => {
                        return Err(TableError::Invalid(format!(
                            "Cannot drop PRIMARY KEY part {n}"
                        )))
                    }
                    Some(_) => {}
                }
                t.columns.retain(|c| &c.name != n);
            }
        }
        TableChange::Options(o) => t.options = o.clone(),
        TableChange::AddIndex(i) => {
            if t.indexes.iter().any(|x| x.name == i.name) {
                return Err(TableError::Invalid(format!(
                    "Index {} already exists",
                    i.name
                )));
            }
            t.indexes.push(i.clone());
        }
        TableChange::DropIndex(name) => t.indexes.retain(|i| &i.name != name),
    }
    Ok(())
}

fn drop_table(txn: &mut Txn<'_>, t: &TableDef) {
    txn.delete_record(Space::CqlSchema, keys::table(&t.id));
    txn.delete_record(Space::CqlSchema, keys::table_name(&t.keyspace, &t.name));
    // Rows of a dropped table are left under its id, which no new table reuses; collecting
    // them is the same background work as TRUNCATE's.
    super::rows::collect_version(txn, t);
    txn.engine.newest_writes.dropped(&t.id);
}

fn bump_version(txn: &mut Txn<'_>, index: u64) {
    txn.put_record(
        Space::CqlSchema,
        keys::SCHEMA_VERSION.to_vec(),
        index.to_be_bytes().to_vec(),
    );
}

fn put<T: serde::Serialize>(txn: &mut Txn<'_>, key: Vec<u8>, v: &T) {
    if let Ok(bytes) = bincode::serialize(v) {
        txn.put_record(Space::CqlSchema, key, bytes);
    }
}

fn store_table(txn: &mut Txn<'_>, t: &TableDef) {
    put(txn, keys::table(&t.id), t);
}

fn decode<T: serde::de::DeserializeOwned>(raw: &[u8]) -> Result<T, CommandError> {
    bincode::deserialize(raw).map_err(|_| corrupt())
}

fn load_keyspace(txn: &Txn<'_>, name: &str) -> Result<Option<KeyspaceDef>, CommandError> {
    txn.get(Space::CqlSchema, &keys::keyspace(name))?
        .map(|raw| decode(&raw))
        .transpose()
}

fn require_keyspace(txn: &Txn<'_>, name: &str) -> Result<(), CommandError> {
    match load_keyspace(txn, name)? {
        Some(_) => Ok(()),
        None => Err(TableError::NoKeyspace(name.to_string()).into()),
    }
}

fn find_table(txn: &Txn<'_>, keyspace: &str, name: &str) -> Result<Option<TableDef>, CommandError> {
    let Some(id) = txn.get(Space::CqlSchema, &keys::table_name(keyspace, name))? else {
        return Ok(None);
    };
    let id: [u8; 16] = id.as_slice().try_into().map_err(|_| corrupt())?;
    table_by_id(txn, &id)
}

fn existing_table(txn: &Txn<'_>, keyspace: &str, name: &str) -> Result<TableDef, CommandError> {
    match find_table(txn, keyspace, name)? {
        Some(t) => Ok(t),
        None => {
            require_keyspace(txn, keyspace)?;
            Err(TableError::NoTable(keyspace.to_string(), name.to_string()).into())
        }
    }
}

pub(super) fn table_by_id(txn: &Txn<'_>, id: &[u8; 16]) -> Result<Option<TableDef>, CommandError> {
    txn.get(Space::CqlSchema, &keys::table(id))?
        .map(|raw| decode(&raw))
        .transpose()
}

fn all<T: serde::de::DeserializeOwned>(
    txn: &Txn<'_>,
    prefix: &[u8],
) -> Result<Vec<T>, CommandError> {
    txn.scan(Space::CqlSchema, &ScanRange::prefix(prefix, usize::MAX))?
        .iter()
        .map(|(_, v)| decode(v))
        .collect()
}

fn tables(txn: &Txn<'_>) -> Result<Vec<TableDef>, CommandError> {
    all(txn, keys::TABLES)
}

fn types(txn: &Txn<'_>) -> Result<Vec<UdtType>, CommandError> {
    all(txn, keys::TYPES)
}

/// The whole schema, the version as a UUID (v1-shaped, from the index of the last change).
pub(super) fn schema(txn: &Txn<'_>) -> Result<Schema, CommandError> {
    let index = match txn.get(Space::CqlSchema, keys::SCHEMA_VERSION)? {
        Some(raw) => u64::from_be_bytes(raw.as_slice().try_into().map_err(|_| corrupt())?),
        None => 0,
    };
    // A version-4-shaped UUID ("TRIDEN" then the index): new with every change.
    let mut version = [
        0x54, 0x52, 0x49, 0x44, 0x45, 0x4e, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0,
    ];
    version[9..].copy_from_slice(&index.to_be_bytes()[1..]);
    Ok(Schema {
        keyspaces: all(txn, keys::KEYSPACES)?,
        tables: tables(txn)?,
        types: types(txn)?,
        version,
    })
}
