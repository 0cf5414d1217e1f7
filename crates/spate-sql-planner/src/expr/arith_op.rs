//! [`ArithOp`]: which arithmetic operator a call applies. Apart from the function catalog
//! ([`super::func`]) because the type rules ([`super::typing`]) need it too, and those sit
//! below the catalog.

/// An arithmetic operator. Numeric operands are already cast to the result's type family;
/// temporal operands (`ts + INTERVAL`, `INTERVAL * n`) keep their own types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`.
    Plus,
    /// `-`.
    Minus,
    /// `*`.
    Multiply,
    /// `/`.
    Divide,
    /// `%` / `MOD`.
    Modulo,
}

impl ArithOp {
    /// The operator's SQL spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Plus => "+",
            ArithOp::Minus => "-",
            ArithOp::Multiply => "*",
            ArithOp::Divide => "/",
            ArithOp::Modulo => "%",
        }
    }
}
