//! User-defined scalar functions written in Rust ([`ScalarUdf`]), registered in the
//! [`Catalog`](crate::Catalog) (as Flink keeps functions in its catalog) and called from SQL
//! like built-ins.
//!
//! The binder looks names up in the functions of the catalog it binds against; the query
//! binder makes them visible for the duration of one `bind_query` (`with_functions`), so the
//! scalar binder needs no catalog handle in every scope.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::EvalError;
use crate::types::DataType;
use crate::value::Value;

/// The Rust body of a function: its argument values (already of the declared types, `NULL`s
/// included) to its result.
pub type UdfBody = Arc<dyn Fn(&[Value]) -> Result<Value, EvalError> + Send + Sync>;

/// A scalar function implemented in Rust. Contract: deterministic (the same arguments give the
/// same result; the planner may evaluate it any number of times), thread-safe, and the result
/// is of `returns` (or `NULL`).
#[derive(Clone)]
pub struct ScalarUdf {
    /// The SQL name (case-insensitive).
    pub name: String,
    /// The argument types; arguments are cast to them as Flink's implicit casts allow.
    pub args: Vec<DataType>,
    /// The result type.
    pub returns: DataType,
    /// The body.
    pub body: UdfBody,
}

impl ScalarUdf {
    /// A function `name(args) -> returns` computed by `body`.
    pub fn new(
        name: &str,
        args: Vec<DataType>,
        returns: DataType,
        body: impl Fn(&[Value]) -> Result<Value, EvalError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.to_ascii_uppercase(),
            args,
            returns,
            body: Arc::new(body),
        }
    }
}

impl fmt::Debug for ScalarUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScalarUdf")
            .field("name", &self.name)
            .field("args", &self.args)
            .field("returns", &self.returns)
            .finish_non_exhaustive()
    }
}

impl PartialEq for ScalarUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.body, &other.body)
    }
}

/// Functions by upper-case name.
pub type Functions = BTreeMap<String, Arc<ScalarUdf>>;

thread_local! {
    static CURRENT: RefCell<Option<Functions>> = const { RefCell::new(None) };
}

/// Runs `f` with `functions` visible to [`lookup`] on this thread.
pub(crate) fn with_functions<T>(functions: &Functions, f: impl FnOnce() -> T) -> T {
    let saved = CURRENT.with(|c| c.replace(Some(functions.clone())));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = saved);
    out
}

/// The user function `name` (upper case) visible here, if any.
pub(crate) fn lookup(name: &str) -> Option<Arc<ScalarUdf>> {
    CURRENT.with(|c| c.borrow().as_ref().and_then(|m| m.get(name).cloned()))
}
