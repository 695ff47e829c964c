//! Building blocks shared by the functions of this pack and their kernels: the metric front
//! end, argument checks, the (group, key) table, user ids, list states, selected rows, string
//! columns and bit windows.

/// Defines `pub fn $name() -> Arc<$function>` returning one shared instance, built once by
/// `$new`, as DataFusion's own functions do.
macro_rules! shared_function {
    ($(#[$doc:meta])* $name:ident, $function:ty, $new:expr) => {
        $(#[$doc])*
        pub fn $name() -> std::sync::Arc<$function> {
            static INSTANCE: std::sync::LazyLock<std::sync::Arc<$function>> =
                std::sync::LazyLock::new($new);
            std::sync::Arc::clone(&INSTANCE)
        }
    };
}
pub(crate) use shared_function;

/// `PartialEq`, `Eq` and `Hash` by the `name` field, for functions made at run time whose name
/// says which they are (the stored-state forms, the sketch scalars).
macro_rules! identified_by_name {
    ($($function:ty),+) => {$(
        impl PartialEq for $function {
            fn eq(&self, other: &Self) -> bool {
                self.name == other.name
            }
        }
        impl Eq for $function {}
        impl std::hash::Hash for $function {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.name.hash(state);
            }
        }
    )+};
}
pub(crate) use identified_by_name;

pub(crate) mod args;
pub(crate) mod bit_window;
pub(crate) mod group_keys;
pub(crate) mod list_state;
pub(crate) mod metric;
pub(crate) mod rows;
pub(crate) mod strings;
pub(crate) mod user_ids;

use datafusion::logical_expr::DocSection;

/// The documentation section every function of this pack is listed under.
pub(crate) const DOC_SECTION_ENGAGEMENT: DocSection = DocSection {
    include: true,
    label: "Engagement Functions",
    description: Some("Customer-engagement metrics from datafusion-engagement."),
};
