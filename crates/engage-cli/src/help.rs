//! `\h` and `\h NAME`: this pack's functions and their documentation.

use std::fmt::Write;

use datafusion::logical_expr::Documentation;
use datafusion::prelude::SessionContext;

/// Our functions with their documentation, sorted by name.
fn engagement_functions() -> Vec<(String, Documentation)> {
    let aggregates = datafusion_engagement::all_aggregate_functions()
        .into_iter()
        .filter_map(|f| Some((f.name().to_string(), f.documentation()?.clone())));
    let scalars = datafusion_engagement::all_scalar_functions()
        .into_iter()
        .filter_map(|f| Some((f.name().to_string(), f.documentation()?.clone())));
    let windows = datafusion_engagement::all_window_functions()
        .into_iter()
        .filter_map(|f| Some((f.name().to_string(), f.documentation()?.clone())));
    let mut functions: Vec<_> = aggregates.chain(scalars).chain(windows).collect();
    functions.sort_by(|a, b| a.0.cmp(&b.0));
    functions
}

/// One line per function: its name and the first sentence of its description.
pub fn list() -> String {
    let functions = engagement_functions();
    let width = functions
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::from("Engagement functions (\\h NAME for details):\n");
    for (name, doc) in &functions {
        let _ = writeln!(
            out,
            "  {name:<width$}  {}",
            first_sentence(&doc.description)
        );
    }
    out.push_str(
        "\nStored states: every aggregate f also has f_state(…), f_merge(state) and \
         f_union(state) (\\h nps_state).",
    );
    out.push_str("\nDataFusion's own functions: SHOW FUNCTIONS, or \\h NAME for one of them.");
    out
}

/// The full documentation of `name`: one of ours, or a DataFusion function registered in the
/// session. An unknown name is an error that suggests the nearest of ours.
pub fn describe(ctx: &SessionContext, name: &str) -> Result<String, String> {
    let name = name.trim().trim_end_matches(';').trim();
    let lower = name.to_ascii_lowercase();
    let ours = engagement_functions();
    if let Some((found, doc)) = ours.iter().find(|(n, _)| *n == lower) {
        return Ok(render(found, doc));
    }
    let state = ctx.state();
    let builtin = state
        .aggregate_functions()
        .get(&lower)
        .and_then(|f| f.documentation().cloned())
        .or_else(|| {
            state
                .scalar_functions()
                .get(&lower)
                .and_then(|f| f.documentation().cloned())
        })
        .or_else(|| {
            state
                .window_functions()
                .get(&lower)
                .and_then(|f| f.documentation().cloned())
        });
    if let Some(doc) = builtin {
        return Ok(render(&lower, &doc));
    }
    let nearest = ours
        .iter()
        .map(|(n, _)| (edit_distance(&lower, n), n))
        .min()
        .map(|(_, n)| n.clone())
        .unwrap_or_default();
    Err(format!(
        "no function named '{name}'. Did you mean {nearest}? (\\h lists this pack's functions)"
    ))
}

fn render(name: &str, doc: &Documentation) -> String {
    let mut out = format!("{name}  [{}]\n\n", doc.doc_section.label);
    let _ = writeln!(out, "{}\n", doc.description.trim());
    let _ = writeln!(out, "Syntax:\n  {}", doc.syntax_example);
    if let Some(arguments) = &doc.arguments {
        let width = arguments.iter().map(|(a, _)| a.len()).max().unwrap_or(0);
        out.push_str("\nArguments:\n");
        for (argument, description) in arguments {
            let _ = writeln!(out, "  {argument:<width$}  {}", description.trim());
        }
    }
    if let Some(alternatives) = &doc.alternative_syntax {
        out.push_str("\nAlso written:\n");
        for alternative in alternatives {
            let _ = writeln!(out, "  {alternative}");
        }
    }
    if let Some(example) = &doc.sql_example {
        out.push_str("\nExample:\n");
        for line in example.trim().lines() {
            let line = line.trim_end();
            if !line.starts_with("```") {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    if let Some(related) = &doc.related_udfs {
        let _ = writeln!(out, "\nRelated: {}", related.join(", "));
    }
    out.trim_end().to_string()
}

fn first_sentence(text: &str) -> &str {
    let text = text.trim();
    match text.find(". ") {
        Some(end) => &text[..=end],
        None => text.lines().next().unwrap_or(text),
    }
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("nps", "nps"), 0);
        assert_eq!(edit_distance("npss", "nps"), 1);
        assert_eq!(edit_distance("stickyness", "stickiness"), 1);
        assert_eq!(edit_distance("", "ces"), 3);
    }

    #[test]
    fn every_function_is_listed() {
        let listing = list();
        for (name, _) in engagement_functions() {
            assert!(listing.contains(&format!("  {name} ")), "{name} missing");
        }
    }

    #[test]
    fn first_sentences() {
        assert_eq!(
            first_sentence("Net Promoter Score. More text."),
            "Net Promoter Score."
        );
        assert_eq!(first_sentence("One line\nsecond"), "One line");
    }
}
