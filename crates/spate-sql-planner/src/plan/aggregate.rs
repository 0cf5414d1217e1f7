//! Aggregate calls in a grouped query and their result types (Flink's rules: `SUM` and `AVG` of
//! an `INT` are `INT`, `COUNT` is `BIGINT NOT NULL`, `SUM` of `DECIMAL(p, s)` is
//! `DECIMAL(38, s)`, `AVG` of `DECIMAL(p, s)` is `DECIMAL(38, max(s, 6))`; the standard
//! deviations and variances are typed as `AVG` is).

use crate::error::{Result, SqlError};
use crate::expr::BoundExpr;
use crate::types::{DataType, MAX_LENGTH, TypeKind};

/// Which aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    /// `COUNT(*)`.
    CountStar,
    /// `COUNT(x)`: non-NULL values.
    Count,
    /// `SUM(x)`.
    Sum,
    /// `AVG(x)`.
    Avg,
    /// `MIN(x)`.
    Min,
    /// `MAX(x)`.
    Max,
    /// `FIRST_VALUE(x)`: the first non-NULL value in arrival order.
    FirstValue,
    /// `LAST_VALUE(x)`: the last non-NULL value in arrival order.
    LastValue,
    /// `LISTAGG(x [, sep])`.
    ListAgg,
    /// `STDDEV_POP(x)`.
    StddevPop,
    /// `STDDEV_SAMP(x)`, also spelled `STDDEV(x)`.
    StddevSamp,
    /// `VAR_POP(x)`.
    VarPop,
    /// `VAR_SAMP(x)`, also spelled `VARIANCE(x)`.
    VarSamp,
    /// `ARRAY_AGG([DISTINCT] x [IGNORE NULLS])`: the values in arrival order, NULLs too
    /// unless `ignore_nulls`.
    ArrayAgg {
        /// `IGNORE NULLS`.
        ignore_nulls: bool,
    },
}

/// One aggregate call of a grouped query.
#[derive(Debug, Clone, PartialEq)]
pub struct AggCall {
    /// Which aggregate.
    pub kind: AggKind,
    /// Its arguments, over the aggregate's input columns.
    pub args: Vec<BoundExpr>,
    /// `DISTINCT`.
    pub distinct: bool,
    /// `FILTER (WHERE ..)`, over the input columns.
    pub filter: Option<BoundExpr>,
    /// The result type.
    pub ty: DataType,
}

impl AggKind {
    /// The aggregate a function name calls, if it is one.
    pub fn from_name(name: &str) -> Option<AggKind> {
        Some(match name.to_ascii_uppercase().as_str() {
            "COUNT" => AggKind::Count,
            "SUM" => AggKind::Sum,
            "AVG" => AggKind::Avg,
            "MIN" => AggKind::Min,
            "MAX" => AggKind::Max,
            "FIRST_VALUE" => AggKind::FirstValue,
            "LAST_VALUE" => AggKind::LastValue,
            "LISTAGG" => AggKind::ListAgg,
            "STDDEV_POP" => AggKind::StddevPop,
            "STDDEV_SAMP" | "STDDEV" => AggKind::StddevSamp,
            "VAR_POP" => AggKind::VarPop,
            "VAR_SAMP" | "VARIANCE" => AggKind::VarSamp,
            "ARRAY_AGG" => AggKind::ArrayAgg { ignore_nulls: false },
            _ => return None,
        })
    }

    /// Flink's name.
    pub fn name(self) -> &'static str {
        match self {
            AggKind::CountStar | AggKind::Count => "COUNT",
            AggKind::Sum => "SUM",
            AggKind::Avg => "AVG",
            AggKind::Min => "MIN",
            AggKind::Max => "MAX",
            AggKind::FirstValue => "FIRST_VALUE",
            AggKind::LastValue => "LAST_VALUE",
            AggKind::ListAgg => "LISTAGG",
            AggKind::StddevPop => "STDDEV_POP",
            AggKind::StddevSamp => "STDDEV_SAMP",
            AggKind::VarPop => "VAR_POP",
            AggKind::VarSamp => "VAR_SAMP",
            AggKind::ArrayAgg { .. } => "ARRAY_AGG",
        }
    }

    /// A standard deviation or variance (their states merge, as a sum's do).
    pub fn is_dispersion(self) -> bool {
        matches!(
            self,
            AggKind::StddevPop | AggKind::StddevSamp | AggKind::VarPop | AggKind::VarSamp
        )
    }
}

fn is_numeric(k: &TypeKind) -> bool {
    matches!(
        k,
        TypeKind::TinyInt
            | TypeKind::SmallInt
            | TypeKind::Int
            | TypeKind::BigInt
            | TypeKind::Float
            | TypeKind::Double
            | TypeKind::Decimal { .. }
    )
}

/// The result type of `kind` over `args`, or an error naming the call.
pub(crate) fn result_type(kind: AggKind, args: &[BoundExpr]) -> Result<DataType> {
    let bad = |why: &str| SqlError::validation(format!("{}: {why}", kind.name()), None);
    let arity = match kind {
        AggKind::CountStar => 0,
        AggKind::ListAgg => {
            if !(1..=2).contains(&args.len()) {
                return Err(bad("takes one or two arguments"));
            }
            args.len()
        }
        _ => 1,
    };
    if args.len() != arity {
        return Err(bad(&format!("takes {arity} argument(s), got {}", args.len())));
    }
    Ok(match kind {
        AggKind::CountStar | AggKind::Count => DataType::new(TypeKind::BigInt).not_null(),
        AggKind::Sum
        | AggKind::Avg
        | AggKind::StddevPop
        | AggKind::StddevSamp
        | AggKind::VarPop
        | AggKind::VarSamp => {
            let t = args[0].ty();
            if !is_numeric(&t.kind) {
                return Err(bad(&format!("cannot be applied to {}", t)));
            }
            let kind_out = match (&t.kind, kind) {
                (TypeKind::Decimal { scale, .. }, AggKind::Sum) => TypeKind::Decimal {
                    precision: 38,
                    scale: *scale,
                },
                (TypeKind::Decimal { scale, .. }, _) => TypeKind::Decimal {
                    precision: 38,
                    scale: (*scale).max(6),
                },
                (k, _) => k.clone(),
            };
            DataType::new(kind_out)
        }
        AggKind::Min | AggKind::Max | AggKind::FirstValue | AggKind::LastValue => {
            DataType::new(args[0].ty().kind.clone())
        }
        // Flink: an array of the argument's type, nullability included.
        AggKind::ArrayAgg { .. } => DataType::new(TypeKind::Array(Box::new(args[0].ty().clone()))),
        AggKind::ListAgg => {
            for a in args {
                if !matches!(a.ty().kind, TypeKind::Varchar(_) | TypeKind::Char(_)) {
                    return Err(bad(&format!("takes strings, not {}", a.ty())));
                }
            }
            DataType::new(TypeKind::Varchar(MAX_LENGTH))
        }
    })
}
