//! `OVER` windows: the window a window function (`ROW_NUMBER()`, `LAG(x)`) or an aggregate
//! written `agg(..) OVER (..)` is computed over, in place or named in a `WINDOW` clause.

use std::fmt;

use super::expr::Expr;
use super::{OrderBy, comma_list};
use crate::ident::Ident;

/// What follows `OVER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Over {
    /// `OVER w`: a window of the query's `WINDOW` clause.
    Named(Ident),
    /// `OVER (PARTITION BY .. ORDER BY .. frame)`.
    Window(WindowDef),
}

/// `(PARTITION BY .. ORDER BY .. [ROWS|RANGE ..])`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowDef {
    /// `PARTITION BY` expressions.
    pub partition_by: Vec<Expr>,
    /// `ORDER BY` items.
    pub order_by: Vec<OrderBy>,
    /// The frame, when written (SQL's default otherwise: `RANGE BETWEEN UNBOUNDED PRECEDING AND
    /// CURRENT ROW`).
    pub frame: Option<WindowFrame>,
}

/// `ROWS|RANGE BETWEEN start AND end`, or `ROWS|RANGE start` (`end` is then `CURRENT ROW`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowFrame {
    /// `ROWS` or `RANGE`.
    pub units: FrameUnits,
    /// The frame's first row.
    pub start: FrameBound,
    /// The frame's last row.
    pub end: FrameBound,
}

/// How a frame's bounds count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameUnits {
    /// By rows.
    Rows,
    /// By the `ORDER BY` value (an interval on a time attribute).
    Range,
}

/// One end of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameBound {
    /// `UNBOUNDED PRECEDING`.
    UnboundedPreceding,
    /// `n PRECEDING` / `INTERVAL '..' .. PRECEDING`.
    Preceding(Box<Expr>),
    /// `CURRENT ROW`.
    CurrentRow,
    /// `n FOLLOWING`.
    Following(Box<Expr>),
    /// `UNBOUNDED FOLLOWING`.
    UnboundedFollowing,
}

impl fmt::Display for Over {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Over::Named(name) => write!(f, "{name}"),
            Over::Window(w) => write!(f, "({w})"),
        }
    }
}

impl fmt::Display for WindowDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if !self.partition_by.is_empty() {
            f.write_str("PARTITION BY ")?;
            comma_list(f, &self.partition_by, ", ")?;
            sep = " ";
        }
        if !self.order_by.is_empty() {
            write!(f, "{sep}ORDER BY ")?;
            comma_list(f, &self.order_by, ", ")?;
            sep = " ";
        }
        if let Some(frame) = &self.frame {
            write!(f, "{sep}{frame}")?;
        }
        Ok(())
    }
}

impl fmt::Display for WindowFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = match self.units {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
        };
        write!(f, "{units} BETWEEN {} AND {}", self.start, self.end)
    }
}

impl fmt::Display for FrameBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameBound::UnboundedPreceding => f.write_str("UNBOUNDED PRECEDING"),
            FrameBound::Preceding(n) => write!(f, "{n} PRECEDING"),
            FrameBound::CurrentRow => f.write_str("CURRENT ROW"),
            FrameBound::Following(n) => write!(f, "{n} FOLLOWING"),
            FrameBound::UnboundedFollowing => f.write_str("UNBOUNDED FOLLOWING"),
        }
    }
}
