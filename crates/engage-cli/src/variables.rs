//! `--var NAME=VALUE`: `${NAME}` in a batch script replaced by VALUE before it is parsed, so
//! that one report file serves every day of a nightly job (`engage --var day=2026-07-01 -f
//! sql/rollup_daily.sql`).

use std::collections::BTreeMap;

/// The variables of a run.
#[derive(Debug, Default)]
pub struct Variables(BTreeMap<String, String>);

/// A variable's name: a letter or `_`, then letters, digits and `_`.
pub fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Variables {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    /// `text` with every `${NAME}` replaced. A `${NAME}` with no value is an error that names
    /// it; a `$` not followed by `{NAME}` stays as written.
    pub fn substitute(&self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match after.find('}').map(|end| (&after[..end], end)) {
                Some((name, end)) if is_name(name) => {
                    let value = self.0.get(name).ok_or_else(|| {
                        format!("${{{name}}} is not set: pass --var {name}=VALUE")
                    })?;
                    out.push_str(value);
                    rest = &after[end + 1..];
                }
                _ => {
                    out.push_str("${");
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_replaced_and_missing_ones_named() {
        let variables = Variables::new(vec![("day".into(), "2026-07-01".into())]);
        assert_eq!(
            variables
                .substitute("WHERE day = DATE '${day}' -- ${day}")
                .unwrap(),
            "WHERE day = DATE '2026-07-01' -- 2026-07-01"
        );
        assert_eq!(
            variables
                .substitute("SELECT '$5', '${ not a name }', '${'")
                .unwrap(),
            "SELECT '$5', '${ not a name }', '${'"
        );
        assert_eq!(
            variables.substitute("TO '${root}/x'").unwrap_err(),
            "${root} is not set: pass --var root=VALUE"
        );
        assert!(is_name("day_1") && !is_name("1day") && !is_name("") && !is_name("a-b"));
    }
}
