//! The differences Confluent's JSON Schema diff reports, which of them keep a reader able to
//! read a writer's data (Confluent's default, "strict", set), and how Confluent words the rest.
//!
//! Kept as Confluent names them because clients and people match on the names
//! (`errorType:"PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"` and friends appear in 409 bodies).

macro_rules! kinds {
    ($($name:ident),* $(,)?) => {
        /// One kind of difference between an original (writer) and an update (reader) schema.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        pub(crate) enum Kind {
            $($name,)*
        }

        impl Kind {
            /// Confluent's name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$name => stringify!($name),)*
                }
            }
        }
    };
}

kinds! {
    ID_CHANGED, DESCRIPTION_CHANGED, TITLE_CHANGED, DEFAULT_CHANGED,
    SCHEMA_ADDED, SCHEMA_REMOVED, TYPE_EXTENDED, TYPE_NARROWED, TYPE_CHANGED,
    MAX_LENGTH_ADDED, MAX_LENGTH_REMOVED, MAX_LENGTH_INCREASED, MAX_LENGTH_DECREASED,
    MIN_LENGTH_ADDED, MIN_LENGTH_REMOVED, MIN_LENGTH_INCREASED, MIN_LENGTH_DECREASED,
    PATTERN_ADDED, PATTERN_REMOVED, PATTERN_CHANGED,
    MAXIMUM_ADDED, MAXIMUM_REMOVED, MAXIMUM_INCREASED, MAXIMUM_DECREASED,
    MINIMUM_ADDED, MINIMUM_REMOVED, MINIMUM_INCREASED, MINIMUM_DECREASED,
    EXCLUSIVE_MAXIMUM_ADDED, EXCLUSIVE_MAXIMUM_REMOVED, EXCLUSIVE_MAXIMUM_INCREASED,
    EXCLUSIVE_MAXIMUM_DECREASED, EXCLUSIVE_MINIMUM_ADDED, EXCLUSIVE_MINIMUM_REMOVED,
    EXCLUSIVE_MINIMUM_INCREASED, EXCLUSIVE_MINIMUM_DECREASED,
    MULTIPLE_OF_ADDED, MULTIPLE_OF_REMOVED, MULTIPLE_OF_EXPANDED, MULTIPLE_OF_REDUCED,
    MULTIPLE_OF_CHANGED,
    REQUIRED_ATTRIBUTE_ADDED, REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED, REQUIRED_ATTRIBUTE_REMOVED,
    MAX_PROPERTIES_ADDED, MAX_PROPERTIES_REMOVED, MAX_PROPERTIES_INCREASED,
    MAX_PROPERTIES_DECREASED, MIN_PROPERTIES_ADDED, MIN_PROPERTIES_REMOVED,
    MIN_PROPERTIES_INCREASED, MIN_PROPERTIES_DECREASED,
    ADDITIONAL_PROPERTIES_ADDED, ADDITIONAL_PROPERTIES_REMOVED,
    ADDITIONAL_PROPERTIES_EXTENDED, ADDITIONAL_PROPERTIES_NARROWED,
    DEPENDENCY_ARRAY_ADDED, DEPENDENCY_ARRAY_REMOVED, DEPENDENCY_ARRAY_EXTENDED,
    DEPENDENCY_ARRAY_NARROWED, DEPENDENCY_ARRAY_CHANGED,
    DEPENDENCY_SCHEMA_ADDED, DEPENDENCY_SCHEMA_REMOVED,
    REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL,
    OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
    PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL,
    REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
    OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
    PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL,
    PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL,
    PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL,
    PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    MAX_ITEMS_ADDED, MAX_ITEMS_REMOVED, MAX_ITEMS_INCREASED, MAX_ITEMS_DECREASED,
    MIN_ITEMS_ADDED, MIN_ITEMS_REMOVED, MIN_ITEMS_INCREASED, MIN_ITEMS_DECREASED,
    MAX_CONTAINS_ADDED, MAX_CONTAINS_REMOVED, MAX_CONTAINS_INCREASED, MAX_CONTAINS_DECREASED,
    MIN_CONTAINS_ADDED, MIN_CONTAINS_REMOVED, MIN_CONTAINS_INCREASED, MIN_CONTAINS_DECREASED,
    UNIQUE_ITEMS_ADDED, UNIQUE_ITEMS_REMOVED,
    ADDITIONAL_ITEMS_ADDED, ADDITIONAL_ITEMS_REMOVED,
    ADDITIONAL_ITEMS_EXTENDED, ADDITIONAL_ITEMS_NARROWED,
    ITEM_ADDED_TO_OPEN_CONTENT_MODEL, ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL,
    ITEM_ADDED_TO_CLOSED_CONTENT_MODEL, ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL,
    ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL, ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL,
    ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    ENUM_ARRAY_EXTENDED, ENUM_ARRAY_NARROWED, ENUM_ARRAY_CHANGED,
    COMBINED_TYPE_EXTENDED, COMBINED_TYPE_CHANGED,
    PRODUCT_TYPE_EXTENDED, PRODUCT_TYPE_NARROWED, SUM_TYPE_EXTENDED, SUM_TYPE_NARROWED,
    COMBINED_TYPE_SUBSCHEMAS_CHANGED,
    NOT_TYPE_EXTENDED, NOT_TYPE_NARROWED,
}

/// A difference at a path (`#/properties/a`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Difference {
    pub kind: Kind,
    pub path: String,
}

impl Kind {
    /// Whether a reader with the update still reads data written with the original: Confluent's
    /// `COMPATIBLE_CHANGES_STRICT` (its default policy).
    pub fn compatible(self) -> bool {
        use Kind::*;
        matches!(
            self,
            ID_CHANGED
                | DESCRIPTION_CHANGED
                | TITLE_CHANGED
                | DEFAULT_CHANGED
                | SCHEMA_REMOVED
                | TYPE_EXTENDED
                | MAX_LENGTH_INCREASED
                | MAX_LENGTH_REMOVED
                | MIN_LENGTH_DECREASED
                | MIN_LENGTH_REMOVED
                | PATTERN_REMOVED
                | MAXIMUM_INCREASED
                | MAXIMUM_REMOVED
                | MINIMUM_DECREASED
                | MINIMUM_REMOVED
                | EXCLUSIVE_MAXIMUM_INCREASED
                | EXCLUSIVE_MAXIMUM_REMOVED
                | EXCLUSIVE_MINIMUM_DECREASED
                | EXCLUSIVE_MINIMUM_REMOVED
                | MULTIPLE_OF_REDUCED
                | MULTIPLE_OF_REMOVED
                | REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED
                | REQUIRED_ATTRIBUTE_REMOVED
                | DEPENDENCY_ARRAY_NARROWED
                | DEPENDENCY_ARRAY_REMOVED
                | DEPENDENCY_SCHEMA_REMOVED
                | MAX_PROPERTIES_INCREASED
                | MAX_PROPERTIES_REMOVED
                | MIN_PROPERTIES_DECREASED
                | MIN_PROPERTIES_REMOVED
                | ADDITIONAL_PROPERTIES_ADDED
                | ADDITIONAL_PROPERTIES_EXTENDED
                | PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL
                | OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
                | PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
                | PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL
                | PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                | PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                | MAX_ITEMS_INCREASED
                | MAX_ITEMS_REMOVED
                | MIN_ITEMS_DECREASED
                | MIN_ITEMS_REMOVED
                | MAX_CONTAINS_INCREASED
                | MAX_CONTAINS_REMOVED
                | MIN_CONTAINS_DECREASED
                | MIN_CONTAINS_REMOVED
                | UNIQUE_ITEMS_REMOVED
                | ADDITIONAL_ITEMS_ADDED
                | ADDITIONAL_ITEMS_EXTENDED
                | ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                | ITEM_ADDED_TO_CLOSED_CONTENT_MODEL
                | ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
                | ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL
                | ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                | ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                | ENUM_ARRAY_EXTENDED
                | COMBINED_TYPE_EXTENDED
                | PRODUCT_TYPE_NARROWED
                | SUM_TYPE_EXTENDED
                | NOT_TYPE_NARROWED
        )
    }

    /// Confluent's sentence for an incompatible kind at `path`; `reader` and `writer` are "new"
    /// and "old" in the order the check runs (the reader is the update).
    fn description(self, path: &str, reader: &str, writer: &str) -> String {
        use Kind::*;
        match self {
            MAXIMUM_ADDED
            | MINIMUM_ADDED
            | EXCLUSIVE_MAXIMUM_ADDED
            | EXCLUSIVE_MINIMUM_ADDED
            | MULTIPLE_OF_ADDED
            | MAX_LENGTH_ADDED
            | MIN_LENGTH_ADDED
            | PATTERN_ADDED
            | REQUIRED_ATTRIBUTE_ADDED
            | MAX_PROPERTIES_ADDED
            | MIN_PROPERTIES_ADDED
            | DEPENDENCY_ARRAY_ADDED
            | DEPENDENCY_SCHEMA_ADDED
            | MAX_ITEMS_ADDED
            | MIN_ITEMS_ADDED
            | MAX_CONTAINS_ADDED
            | MIN_CONTAINS_ADDED
            | UNIQUE_ITEMS_ADDED
            | ADDITIONAL_ITEMS_REMOVED
            | ADDITIONAL_PROPERTIES_REMOVED => format!(
                "The keyword at path '{path}' in the {reader} schema is not present in the {writer} schema"
            ),
            MIN_LENGTH_INCREASED
            | MINIMUM_INCREASED
            | EXCLUSIVE_MINIMUM_INCREASED
            | MIN_PROPERTIES_INCREASED
            | MULTIPLE_OF_EXPANDED
            | MIN_ITEMS_INCREASED
            | MIN_CONTAINS_INCREASED => format!(
                "The value at path '{path}' in the {reader} schema is more than its value in the {writer} schema"
            ),
            MAX_LENGTH_DECREASED
            | MAXIMUM_DECREASED
            | MAX_ITEMS_DECREASED
            | MAX_CONTAINS_DECREASED
            | EXCLUSIVE_MAXIMUM_DECREASED
            | MAX_PROPERTIES_DECREASED => format!(
                "The value at path '{path}' in the {reader} schema is less than its value in the {writer} schema"
            ),
            PATTERN_CHANGED | MULTIPLE_OF_CHANGED | DEPENDENCY_ARRAY_CHANGED => {
                format!("The value at path '{path}' is different between the {reader} and {writer} schema")
            }
            ADDITIONAL_ITEMS_NARROWED
            | ENUM_ARRAY_NARROWED
            | SUM_TYPE_NARROWED
            | ADDITIONAL_PROPERTIES_NARROWED => format!(
                "An array or combined type at path '{path}' has fewer elements in the {reader} schema than the {writer} schema"
            ),
            DEPENDENCY_ARRAY_EXTENDED | PRODUCT_TYPE_EXTENDED | SUM_TYPE_EXTENDED | NOT_TYPE_EXTENDED => {
                format!(
                    "An array or combined type at path '{path}' has more elements in the {reader} schema than the {writer} schema"
                )
            }
            TYPE_CHANGED
            | TYPE_NARROWED
            | COMBINED_TYPE_CHANGED
            | COMBINED_TYPE_SUBSCHEMAS_CHANGED
            | ENUM_ARRAY_CHANGED => format!(
                "A type at path '{path}' is different between the {reader} schema and the {writer} schema"
            ),
            REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
            | REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
            | OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
            | ITEM_ADDED_TO_OPEN_CONTENT_MODEL => format!(
                "The {reader} schema has an open content model and has a property or item at path '{path}' which is missing in the {writer} schema"
            ),
            REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL => format!(
                "The {reader} schema has an unopen content model and has a required property at path '{path}' which is missing in the {writer} schema"
            ),
            PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL | ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL => format!(
                "The {reader} has a closed content model and is missing a property or item present at path '{path}' in the {writer} schema"
            ),
            PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => format!(
                "A property or item is missing in the {reader} schema but present at path '{path}' in the {writer} schema and is not covered by its partially open content model"
            ),
            PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            | ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL => format!(
                "The {reader} schema has a property or item at path '{path}' which is missing in the {writer} schema and is not covered by its partially open content model"
            ),
            // Confluent has no sentence for the rest (SCHEMA_ADDED, ...): an empty one.
            _ => String::new(),
        }
    }
}

impl Difference {
    /// The message Confluent puts in a 409 body. Its closing quote really is `'` after a `"`
    /// opening one (Confluent's `Difference.toString`); clients that match the text see it so.
    pub fn message(&self, reader: &str, writer: &str) -> String {
        format!(
            "{{errorType:\"{}\", description:\"{}'}}",
            self.kind.name(),
            self.kind.description(&self.path, reader, writer)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_content_additions_are_incompatible_and_closed_ones_are_not() {
        assert!(!Kind::OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL.compatible());
        assert!(Kind::OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL.compatible());
        assert!(Kind::PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL.compatible());
        assert!(!Kind::PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL.compatible());
        assert!(Kind::TYPE_EXTENDED.compatible());
        assert!(!Kind::TYPE_NARROWED.compatible());
    }

    #[test]
    fn messages_are_confluents() {
        let d = Difference {
            kind: Kind::OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL,
            path: "#/properties/b".into(),
        };
        assert_eq!(
            d.message("new", "old"),
            "{errorType:\"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL\", description:\"The new schema has an open content model and has a property or item at path '#/properties/b' which is missing in the old schema'}"
        );
    }
}
