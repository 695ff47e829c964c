//! Every function of the pack is described where users look for it, from the one list the
//! library keeps (`all_aggregate_functions`, `all_scalar_functions`, `all_window_functions`):
//! its documentation, the
//! README's function tables, its `expr_fn` helper, the SQL-level documentation test and the
//! Python type stubs. A
//! function added to the pack and forgotten in one of them fails here.

use std::path::Path;

use datafusion::logical_expr::Documentation;
use datafusion_engagement::{
    all_aggregate_functions, all_scalar_functions, all_window_functions, result_unit,
};

fn repository_file(path: &str) -> String {
    let root = Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run through cargo"))
        .join("../..");
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every function's name and documentation.
fn functions() -> Vec<(String, Documentation)> {
    let aggregates = all_aggregate_functions()
        .into_iter()
        .map(|f| (f.name().to_string(), f.documentation().cloned()));
    let scalars = all_scalar_functions()
        .into_iter()
        .map(|f| (f.name().to_string(), f.documentation().cloned()));
    let windows = all_window_functions()
        .into_iter()
        .map(|f| (f.name().to_string(), f.documentation().cloned()));
    aggregates
        .chain(scalars)
        .chain(windows)
        .map(|(name, documentation)| {
            let documentation =
                documentation.unwrap_or_else(|| panic!("{name} has no documentation"));
            (name, documentation)
        })
        .collect()
}

#[test]
fn every_function_is_documented_and_listed_everywhere() {
    let readme = repository_file("README.md");
    let documentation_slt = repository_file("tests/slt/documentation.slt");
    let stubs = repository_file(
        "crates/datafusion-engagement-python/python/datafusion_engagement/__init__.pyi",
    );
    let expr_fn = repository_file("crates/datafusion-engagement/src/expr_fn.rs");
    let functions = functions();
    assert!(functions.len() >= 26, "{} functions", functions.len());
    for (name, documentation) in functions {
        assert!(
            documentation.description.len() > 80,
            "{name}: a description of a sentence or more"
        );
        assert!(
            documentation
                .syntax_example
                .starts_with(&format!("{name}(")),
            "{name}: its usage starts with its name: {}",
            documentation.syntax_example
        );
        assert!(
            documentation.sql_example.is_some(),
            "{name}: an SQL example"
        );
        assert!(
            readme.contains(&format!("| `{name}(")),
            "{name}: a row of the README's function tables"
        );
        assert!(
            documentation_slt.contains(&format!("'{name}'")),
            "{name}: listed by tests/slt/documentation.slt"
        );
        assert!(
            expr_fn.contains(&format!("\npub fn {name}(")),
            "{name}: a helper in expr_fn for the DataFrame API"
        );
        assert!(
            stubs.contains(&format!("\ndef {name}() ->")),
            "{name}: in the Python stubs (python -m datafusion_engagement.stubs)"
        );
    }
}

#[test]
fn units_are_the_functions_own() {
    assert_eq!(result_unit("nps", None), Some("NPS"));
    assert_eq!(result_unit("stickiness", None), Some("%"));
    assert_eq!(result_unit("avg_session_duration", None), Some("s"));
    assert_eq!(result_unit("nps_summary", Some("ci_high")), Some("NPS"));
    assert_eq!(result_unit("nps_summary", Some("responses")), None);
    assert_eq!(result_unit("csat_summary", Some("csat")), Some("%"));
    assert_eq!(result_unit("unbounded_retention", Some("rate")), Some("%"));
    assert_eq!(result_unit("lifecycle", Some("churn_rate")), Some("%"));
    assert_eq!(result_unit("lifecycle", Some("new")), None);
    assert_eq!(result_unit("clv", None), None);
    assert_eq!(result_unit("avg", None), None);
}
