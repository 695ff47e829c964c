//! A script (a `-c` text, a file, standard input or one REPL entry) split into SQL statements
//! and backslash meta-commands.
//!
//! A line starting with `\` outside a string literal is a meta-command (`\d`, `\h nps`, ...);
//! everything else is SQL. The whole script is parsed before anything runs, so a syntax error
//! anywhere runs nothing.

use datafusion::common::{Result, plan_datafusion_err};
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::dialect::dialect_from_str;

#[derive(Debug)]
pub enum Item {
    Statement(Box<Statement>),
    Meta(String),
}

pub fn parse(text: &str, dialect: &str) -> Result<Vec<Item>> {
    let dialect = dialect_from_str(dialect)
        .ok_or_else(|| plan_datafusion_err!("unsupported SQL dialect '{dialect}'"))?;
    let mut items = vec![];
    let mut sql = String::new();
    let flush = |sql: &mut String, items: &mut Vec<Item>| -> Result<()> {
        if !sql.trim().is_empty() {
            let statements = DFParser::parse_sql_with_dialect(sql, dialect.as_ref())?;
            items.extend(statements.into_iter().map(|s| Item::Statement(Box::new(s))));
        }
        sql.clear();
        Ok(())
    };
    for line in text.lines() {
        let inside_string = sql.matches('\'').count() % 2 == 1;
        match line.trim_start().strip_prefix('\\') {
            Some(command) if !inside_string => {
                flush(&mut sql, &mut items)?;
                items.push(Item::Meta(command.trim().trim_end_matches(';').to_string()));
            }
            _ => {
                sql.push_str(line);
                sql.push('\n');
            }
        }
    }
    flush(&mut sql, &mut items)?;
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<String> {
        parse(text, "generic")
            .unwrap()
            .into_iter()
            .map(|item| match item {
                Item::Statement(s) => format!("sql: {s}"),
                Item::Meta(m) => format!("meta: {m}"),
            })
            .collect()
    }

    #[test]
    fn statements_and_meta_commands() {
        assert_eq!(
            kinds("SELECT 1; SELECT\n 2;\n\\d\n  \\h nps;\nSELECT 3"),
            [
                "sql: SELECT 1",
                "sql: SELECT 2",
                "meta: d",
                "meta: h nps",
                "sql: SELECT 3"
            ]
        );
    }

    #[test]
    fn backslash_inside_a_string_is_sql() {
        assert_eq!(kinds("SELECT 'a\n\\d'"), ["sql: SELECT 'a\n\\d'"]);
    }

    #[test]
    fn syntax_error_anywhere_fails_the_whole_script() {
        assert!(parse("SELECT 1;\n\\d\nSELEC 2", "generic").is_err());
    }
}
