//! Sort keys after `UNNEST`: see [`keep_sort_keys_after_unnest`].

/// Keeps every `ORDER BY` key of a query that sorts the rows `UNNEST` makes of an aggregate's
/// list — `SELECT g, unnest(funnel(…)) AS s … GROUP BY g ORDER BY g, s['step']` — by removing
/// DataFusion's `eliminate_duplicated_expr` optimizer rule from the session.
///
/// DataFusion 55 keeps a GROUP BY's functional dependencies through `UNNEST`, so it believes
/// `g` determines `s['step']` and drops that sort key: the rows come out in any order
/// (upstream: apache/datafusion PR #24787, "Unnest must not keep its input's uniqueness"). The
/// rule otherwise only removes repeated sort keys, so little is lost. `engage` does this in
/// every session.
///
/// ```
/// let ctx = datafusion::prelude::SessionContext::new();
/// datafusion_engagement::keep_sort_keys_after_unnest(&ctx);
/// ```
pub fn keep_sort_keys_after_unnest(ctx: &datafusion::prelude::SessionContext) {
    ctx.remove_optimizer_rule(SORT_KEY_PRUNING_RULE);
}

/// [`keep_sort_keys_after_unnest`] for a session state (a Ballista scheduler's, say).
pub fn state_keeping_sort_keys_after_unnest(
    state: datafusion::execution::SessionState,
) -> datafusion::execution::SessionState {
    let rules = state
        .optimizers()
        .iter()
        .filter(|rule| rule.name() != SORT_KEY_PRUNING_RULE)
        .cloned()
        .collect();
    datafusion::execution::SessionStateBuilder::new_from_existing(state)
        .with_optimizer_rules(rules)
        .build()
}

/// The DataFusion optimizer rule that prunes sort keys by functional dependencies.
const SORT_KEY_PRUNING_RULE: &str = "eliminate_duplicated_expr";
