//! Round trip: generated IR → Flink SQL text (`Display`) → parse → the same IR.

use proptest::prelude::*;
use spate_sql::ast::{
    BinaryOp, Column, ColumnKind, CreateTable, Drop, Expr, FrameBound, FrameUnits, Function, Ident, Literal,
    Loc, ObjectName, OrderBy, Over, PrimaryKey, Statement, TableDef, TableOption, TimeUnit, UnaryOp,
    Watermark, WindowDef, WindowFrame,
};
use spate_sql::parse_statement;
use spate_sql::types::{DataType, MAX_DECIMAL_PRECISION, MAX_LENGTH, MAX_TIME_PRECISION, RowField, TypeKind};

/// Identifiers: plain words, keywords (which must print back-quoted), and odd ones.
fn ident() -> impl Strategy<Value = Ident> {
    prop_oneof![
        6 => "[a-z_][a-z0-9_]{0,7}",
        1 => "[A-Z][A-Za-z0-9]{0,5}",
        1 => prop::sample::select(vec![
            "timestamp", "select", "WATERMARK", "primary", "end", "user", "partition", "offset",
            "my col", "a`b", "été", "1st", "metadata", "virtual", "comment",
        ])
        .prop_map(str::to_string),
    ]
    .prop_map(Ident::new)
}

fn name() -> impl Strategy<Value = ObjectName> {
    prop::collection::vec(ident(), 1..=3).prop_map(ObjectName)
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,12}",
        Just("it's".to_string()),
        Just("multi\nline".to_string()),
        Just("ünïcode ✓".to_string()),
    ]
}

fn data_type() -> impl Strategy<Value = DataType> {
    let leaf = prop_oneof![
        Just(TypeKind::Boolean),
        Just(TypeKind::TinyInt),
        Just(TypeKind::SmallInt),
        Just(TypeKind::Int),
        Just(TypeKind::BigInt),
        Just(TypeKind::Float),
        Just(TypeKind::Double),
        (1..=MAX_DECIMAL_PRECISION)
            .prop_flat_map(|p| (Just(p), 0..=p))
            .prop_map(|(precision, scale)| TypeKind::Decimal { precision, scale }),
        (1..=300u32).prop_map(TypeKind::Char),
        prop_oneof![(1..=300u32), Just(MAX_LENGTH)].prop_map(TypeKind::Varchar),
        (1..=300u32).prop_map(TypeKind::Binary),
        prop_oneof![(1..=300u32), Just(MAX_LENGTH)].prop_map(TypeKind::Varbinary),
        Just(TypeKind::Date),
        (0..=MAX_TIME_PRECISION).prop_map(TypeKind::Time),
        (0..=MAX_TIME_PRECISION).prop_map(TypeKind::Timestamp),
        (0..=MAX_TIME_PRECISION).prop_map(TypeKind::TimestampLtz),
    ];
    let leaf = (leaf, any::<bool>()).prop_map(|(kind, nullable)| DataType { kind, nullable });
    leaf.prop_recursive(3, 12, 4, |inner| {
        let kind = prop_oneof![
            inner.clone().prop_map(|t| TypeKind::Array(Box::new(t))),
            inner.clone().prop_map(|t| TypeKind::Multiset(Box::new(t))),
            (inner.clone(), inner.clone()).prop_map(|(k, v)| TypeKind::Map(Box::new(k), Box::new(v))),
            prop::collection::vec((inner, prop::option::of(text())), 0..4).prop_map(|fields| {
                TypeKind::Row(
                    fields
                        .into_iter()
                        .enumerate()
                        // Unique field names.
                        .map(|(i, (ty, description))| RowField {
                            name: Ident::new(format!("f{i}")),
                            ty,
                            description,
                        })
                        .collect(),
                )
            }),
        ];
        (kind, any::<bool>()).prop_map(|(kind, nullable)| DataType { kind, nullable })
    })
}

/// Whether an expression prints as one unit that needs no parentheses as an operand.
fn is_atom(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Column(_) | Expr::Literal(_) | Expr::Function(_) | Expr::Cast { .. } | Expr::Nested(_)
    )
}

fn atom_of(e: Expr) -> Expr {
    if is_atom(&e) { e } else { Expr::Nested(Box::new(e)) }
}

fn expr() -> impl Strategy<Value = Expr> {
    let unit = prop::sample::select(vec![
        TimeUnit::Year,
        TimeUnit::Month,
        TimeUnit::Day,
        TimeUnit::Hour,
        TimeUnit::Minute,
        TimeUnit::Second,
    ]);
    let leaf = prop_oneof![
        prop::collection::vec(ident(), 1..=2).prop_map(Expr::Column),
        prop_oneof!["[0-9]{1,5}", "[0-9]{1,3}\\.[0-9]{1,3}"].prop_map(|n| Expr::Literal(Literal::Number(n))),
        text().prop_map(|s| Expr::Literal(Literal::String(s))),
        any::<bool>().prop_map(|b| Expr::Literal(Literal::Boolean(b))),
        Just(Expr::Literal(Literal::Null)),
        ("[0-9]{1,3}", unit).prop_map(|(value, unit)| Expr::Interval {
            value,
            unit,
            to: None
        }),
    ];
    let op = prop::sample::select(vec![
        BinaryOp::Plus,
        BinaryOp::Minus,
        BinaryOp::Multiply,
        BinaryOp::Divide,
        BinaryOp::Modulo,
        BinaryOp::Concat,
        BinaryOp::Eq,
        BinaryOp::NotEq,
        BinaryOp::Lt,
        BinaryOp::LtEq,
        BinaryOp::Gt,
        BinaryOp::GtEq,
        BinaryOp::And,
        BinaryOp::Or,
    ]);
    let fname = prop::sample::select(vec![
        "PROCTIME",
        "UPPER",
        "TO_TIMESTAMP",
        "JSON_VALUE",
        "my_udf",
        "COALESCE",
    ]);
    leaf.prop_recursive(3, 16, 3, move |inner| {
        prop_oneof![
            (inner.clone(), op.clone(), inner.clone()).prop_map(|(l, op, r)| Expr::Binary {
                left: Box::new(atom_of(l)),
                op,
                right: Box::new(atom_of(r)),
            }),
            (fname.clone(), prop::collection::vec(inner.clone(), 0..3)).prop_map(|(n, args)| {
                Expr::Function(Function {
                    name: ObjectName(vec![Ident::new(n)]),
                    args,
                    distinct: false,
                    filter: None,
                    ignore_nulls: false,
                    parens: true,
                    over: None,
                })
            }),
            (
                prop::collection::vec(inner.clone(), 0..2),
                prop::collection::vec(inner.clone(), 0..2),
                over_frame()
            )
                .prop_map(|(partition_by, order, frame)| {
                    Expr::Function(Function {
                        name: ObjectName(vec![Ident::new("SUM")]),
                        args: vec![Expr::Column(vec![Ident::new("x")])],
                        distinct: false,
                        filter: None,
                        ignore_nulls: false,
                        parens: true,
                        over: Some(Over::Window(WindowDef {
                            partition_by,
                            order_by: order
                                .into_iter()
                                .map(|expr| OrderBy {
                                    expr,
                                    asc: Some(false),
                                    nulls_first: None,
                                })
                                .collect(),
                            frame,
                        })),
                    })
                }),
            (inner.clone(), data_type(), any::<bool>()).prop_map(|(e, ty, try_cast)| Expr::Cast {
                expr: Box::new(e),
                ty,
                try_cast
            }),
            inner.clone().prop_map(|e| Expr::Nested(Box::new(e))),
            (inner.clone(), any::<bool>()).prop_map(|(e, negated)| Expr::IsNull {
                expr: Box::new(atom_of(e)),
                negated
            }),
            (inner.clone(), inner.clone(), any::<bool>()).prop_map(|(l, r, negated)| {
                Expr::IsDistinctFrom {
                    left: Box::new(atom_of(l)),
                    right: Box::new(atom_of(r)),
                    negated,
                }
            }),
            (inner.clone(), any::<bool>()).prop_map(|(e, negated)| Expr::IsUnknown {
                expr: Box::new(atom_of(e)),
                negated
            }),
            prop::collection::vec(ident(), 1..=2).prop_map(|c| Expr::Unary {
                op: UnaryOp::Minus,
                expr: Box::new(Expr::Column(c)),
            }),
        ]
    })
}

fn column() -> impl Strategy<Value = (Ident, ColumnKind, Option<String>)> {
    let kind = prop_oneof![
        4 => data_type().prop_map(ColumnKind::Physical),
        1 => expr().prop_map(ColumnKind::Computed),
        1 => (data_type(), prop::option::of(text()), any::<bool>()).prop_map(
            |(ty, key, is_virtual)| ColumnKind::Metadata { ty, key, is_virtual }
        ),
    ];
    (ident(), kind, prop::option::of(text()))
}

fn table_def() -> impl Strategy<Value = TableDef> {
    (
        name(),
        prop::collection::vec(column(), 1..6),
        prop::option::of((ident(), expr())),
        prop::option::of((prop::option::of(ident()), prop::collection::vec(ident(), 1..3))),
        prop::option::of(text()),
        prop::collection::vec(ident(), 0..3),
        prop::collection::vec((text(), text()), 0..5),
    )
        .prop_map(
            |(name, columns, watermark, pk, comment, partitioned_by, options)| TableDef {
                name,
                columns: columns
                    .into_iter()
                    .map(|(name, kind, comment)| Column {
                        name,
                        kind,
                        comment,
                        loc: Loc::NONE,
                    })
                    .collect(),
                watermark: watermark.map(|(column, expr)| Watermark {
                    column,
                    expr,
                    loc: Loc::NONE,
                }),
                primary_key: pk.map(|(name, columns)| PrimaryKey {
                    name,
                    columns,
                    loc: Loc::NONE,
                }),
                comment,
                partitioned_by,
                options: options
                    .into_iter()
                    .map(|(key, value)| TableOption {
                        key,
                        value,
                        loc: Loc::NONE,
                    })
                    .collect(),
                loc: Loc::NONE,
            },
        )
}

fn statement() -> impl Strategy<Value = Statement> {
    prop_oneof![
        6 => (any::<bool>(), any::<bool>(), table_def()).prop_map(|(temporary, if_not_exists, table)| {
            Statement::CreateTable(CreateTable { temporary, if_not_exists, table })
        }),
        1 => prop::option::of((text(), text())).prop_map(Statement::Set),
        1 => prop::option::of(text()).prop_map(Statement::Reset),
        1 => name().prop_map(Statement::Describe),
        1 => (any::<bool>(), any::<bool>(), name()).prop_map(|(temporary, if_exists, name)| {
            Statement::DropTable(Drop { temporary, if_exists, name, loc: Loc::NONE })
        }),
    ]
}

proptest! {
    // PROPTEST_CASES=n runs more (or fewer) cases.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400)
    ))]

    #[test]
    fn ddl_round_trips(stmt in statement()) {
        let sql = stmt.to_string();
        let parsed = match parse_statement(&sql) {
            Ok(p) => p,
            Err(e) => {
                return Err(TestCaseError::fail(format!("{}\n--- from ---\n{sql}", e.render(&sql))));
            }
        };
        prop_assert_eq!(&parsed, &stmt, "\n--- text ---\n{}", sql);
        // Printing is a fixed point.
        prop_assert_eq!(parsed.to_string(), sql);
    }
}

/// SQL-ish token soup: fragments of real statements in any order.
fn soup() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "CREATE",
        "TABLE",
        "VIEW",
        "t",
        "(",
        ")",
        ",",
        ";",
        "a",
        "INT",
        "ARRAY",
        "<",
        ">",
        ">>",
        "ROW",
        "MAP",
        "WATERMARK",
        "FOR",
        "AS",
        "METADATA",
        "FROM",
        "VIRTUAL",
        "PRIMARY",
        "KEY",
        "NOT",
        "ENFORCED",
        "WITH",
        "'k'",
        "=",
        "'v'",
        "SELECT",
        "*",
        "WHERE",
        "TUMBLE",
        "TABLE(",
        "DESCRIPTOR(",
        "INTERVAL",
        "'1'",
        "SECOND",
        "EXECUTE",
        "STATEMENT",
        "SET",
        "BEGIN",
        "END",
        "INSERT",
        "INTO",
        "CAST(",
        "TIMESTAMP(3)",
        "`q`",
        "--c\n",
        "/*c*/",
        "'",
        "`",
        "\n",
        "é",
        "PARTITION",
        "BY",
        "=>",
        "DATA",
        "1.5",
        "NULL",
        "CASE",
        "WHEN",
        "THEN",
    ]);
    prop::collection::vec(piece, 0..40).prop_map(|p| p.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(400)
    ))]

    /// Any text: parsing, splitting and rendering an error return, never panic.
    #[test]
    fn garbage_never_panics(sql in soup()) {
        if let Err(e) = spate_sql::parse(&sql) {
            let _ = e.render(&sql);
            prop_assert!(e.position().is_some());
        }
        let _ = spate_sql::split_statements(&sql);
        if let Ok(stmts) = spate_sql::parse(&sql) {
            let mut catalog = spate_sql::Catalog::new();
            for s in &stmts {
                let _ = catalog.apply(s);
            }
        }
    }
}

/// An `OVER` window's frame, or none.
fn over_frame() -> impl Strategy<Value = Option<WindowFrame>> {
    let bound = prop_oneof![
        Just(FrameBound::UnboundedPreceding),
        (0u32..20)
            .prop_map(|n| FrameBound::Preceding(Box::new(Expr::Literal(Literal::Number(n.to_string()))))),
        Just(FrameBound::CurrentRow),
        (0u32..20)
            .prop_map(|n| FrameBound::Following(Box::new(Expr::Literal(Literal::Number(n.to_string()))))),
    ];
    let units = prop_oneof![Just(FrameUnits::Rows), Just(FrameUnits::Range)];
    prop::option::of(
        (units, bound.clone(), bound).prop_map(|(units, start, end)| WindowFrame { units, start, end }),
    )
}
