//! Named built-in functions: for each, its signature check and result type (binding) and its
//! evaluation. One file per family; [`bind_function`] finds the function by name and reports
//! an unknown name with the nearest known one, and a signature mismatch with the argument
//! types and what the function takes.

mod array;
mod charset;
mod collection;
mod datefmt;
mod encoding;
mod hash;
mod inet;
mod json;
mod json_build;
mod math;
mod misc;
mod string;
mod time;
mod url;

pub use array::ArrayFunc;
pub use json::JsonPath;
pub use math::MathFunc;
pub use string::StringFunc;
pub use time::TimeFunc;

pub(crate) use array::eval as eval_array;
pub(crate) use collection::array_contains;
pub use datefmt::{Pattern as DatePattern, parse as parse_with_pattern};
pub(crate) use json::{
    bind_is_json, bind_json_exists, bind_json_query, eval as eval_json, is_json, json_exists, json_query,
};
pub(crate) use json_build::{
    bind_array as bind_json_array, bind_object as bind_json_object, json_array, json_object, json_string,
};
pub(crate) use math::{eval as eval_math, to_f64};
pub(crate) use string::{
    MAX_RESULT_BYTES, concat, eval as eval_string, eval_regex, group_in_every_match, regex_extract,
    split_index,
};
pub(crate) use time::{add_months_micros, eval as eval_time, extract_micros};

use super::BoundExpr;
use super::typing::{is_datetime, is_integer, is_numeric, is_string, is_untyped_null};
use crate::error::{Position, Result, SqlError};
use crate::suggest::did_you_mean;
use crate::types::{DataType, MAX_LENGTH, TypeKind};

/// A function call being bound: its upper-case name, bound arguments and where it was written.
pub(crate) struct Call {
    /// The name, upper case.
    pub name: String,
    /// The bound arguments.
    pub args: Vec<BoundExpr>,
    /// The name's position.
    pub pos: Option<Position>,
}

/// What an argument must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arg {
    /// A character string.
    Str,
    /// An exact integer.
    Int,
    /// Any number.
    Num,
    /// `DATE`, `TIMESTAMP` or `TIMESTAMP_LTZ`.
    DateTime,
    /// Anything.
    Any,
}

impl Arg {
    fn accepts(self, k: &TypeKind) -> bool {
        match self {
            Arg::Str => is_string(k),
            Arg::Int => is_integer(k),
            Arg::Num => is_numeric(k),
            Arg::DateTime => is_datetime(k),
            Arg::Any => true,
        }
    }

    /// The type an untyped `NULL` in this position would need (for the error's advice).
    fn null_type(self) -> DataType {
        DataType::new(match self {
            Arg::Str | Arg::Any => TypeKind::Varchar(MAX_LENGTH),
            Arg::Int => TypeKind::Int,
            Arg::Num => TypeKind::Double,
            Arg::DateTime => TypeKind::Timestamp(3),
        })
    }
}

impl Call {
    /// The error for arguments that do not fit: the call with its argument types and what the
    /// function takes.
    pub fn mismatch(&self, takes: &str) -> SqlError {
        let types: Vec<String> = self
            .args
            .iter()
            .map(|a| {
                if is_untyped_null(a) {
                    "NULL".to_string()
                } else {
                    a.ty().kind.to_string()
                }
            })
            .collect();
        SqlError::validation(
            format!(
                "invalid function call {}({}): {} takes {takes}",
                self.name,
                types.join(", "),
                self.name
            ),
            self.pos,
        )
    }

    /// Checks the arguments against `sig` (the first `required` mandatory, the rest optional),
    /// giving untyped `NULL`s the expected type; `takes` describes the signature for the error.
    pub fn check(&mut self, sig: &[Arg], required: usize, takes: &str) -> Result<()> {
        if self.args.len() < required || self.args.len() > sig.len() {
            return Err(self.mismatch(takes));
        }
        for (i, kind) in sig.iter().enumerate().take(self.args.len()) {
            // Flink rejects an untyped NULL argument ("Illegal use of 'NULL'", run 3:
            // UPPER(NULL), CHAR_LENGTH(NULL), ABS(NULL)).
            if is_untyped_null(&self.args[i]) {
                return Err(self.mismatch(&format!(
                    "{takes}; an untyped NULL needs a type here: CAST(NULL AS {})",
                    kind.null_type().kind
                )));
            } else if !kind.accepts(&self.args[i].ty().kind) {
                return Err(self.mismatch(takes));
            }
        }
        Ok(())
    }

    /// Checks that every argument is of `kind` (at least `min` of them).
    pub fn check_all(&mut self, kind: Arg, min: usize, takes: &str) -> Result<()> {
        let sig = vec![kind; self.args.len().max(min)];
        self.check(&sig, min, takes)
    }

    /// Whether any argument is nullable.
    pub fn any_nullable(&self) -> bool {
        self.args.iter().any(|a| a.ty().nullable)
    }

    /// The call's result: `func` over the arguments with `kind`, nullable when an argument is
    /// or when `may_be_null` (the function gives `NULL` for some non-NULL input).
    pub fn done(self, func: super::ScalarFunc, kind: TypeKind, may_be_null: bool) -> BoundExpr {
        let nullable = may_be_null || self.any_nullable();
        BoundExpr::Call {
            func,
            args: self.args,
            ty: DataType { kind, nullable },
        }
    }
}

/// Every function name [`bind_function`] knows (for "did you mean").
const FAMILIES: [&[&str]; 7] = [
    string::NAMES,
    time::NAMES,
    math::NAMES,
    misc::NAMES,
    json::NAMES,
    collection::NAMES,
    array::NAMES,
];

/// Binds a call of the built-in function `call.name`.
pub(crate) fn bind_function(call: Call) -> Result<BoundExpr> {
    let name = call.name.clone();
    if string::NAMES.contains(&name.as_str()) {
        return string::bind(call);
    }
    if time::NAMES.contains(&name.as_str()) {
        return time::bind(call);
    }
    if math::NAMES.contains(&name.as_str()) {
        return math::bind(call);
    }
    if misc::NAMES.contains(&name.as_str()) {
        return misc::bind(call);
    }
    if json::NAMES.contains(&name.as_str()) {
        return json::bind(call);
    }
    if collection::NAMES.contains(&name.as_str()) {
        return collection::bind(call);
    }
    if array::NAMES.contains(&name.as_str()) {
        return array::bind(call);
    }
    let known = FAMILIES.iter().flat_map(|f| f.iter().copied());
    Err(SqlError::validation(
        format!("no function named '{name}'{}", did_you_mean(&name, known)),
        call.pos,
    ))
}
