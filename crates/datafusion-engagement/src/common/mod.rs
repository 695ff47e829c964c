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
