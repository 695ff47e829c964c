//! A script (a `-c` text, a file, standard input or one REPL entry) split into SQL statements
//! and backslash meta-commands.
//!
//! A line starting with `\` outside a string literal, quoted identifier or comment is a
//! meta-command (`\d`, `\h nps`, ...); everything else is SQL. Whether a line starts inside
//! one is the SQL tokenizer's answer, not a count of quotes: `-- don't` is a comment. The whole script is parsed before anything runs, so a syntax error
//! anywhere runs nothing.

use datafusion::common::{Result, plan_datafusion_err};
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::dialect::{Dialect, dialect_from_str};
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

#[derive(Debug)]
pub enum Item {
    /// A statement and the lines of the `--` comment block directly above it (no blank line
    /// between), without the `--`: a report's title, description and chart directive.
    Statement(Box<Statement>, Vec<String>),
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
            let mut comments = comments_above_statements(dialect.as_ref(), sql);
            // Both split at the same semicolons; should they ever disagree, no statement gets
            // another's comment.
            if comments.len() != statements.len() {
                comments = vec![vec![]; statements.len()];
            }
            items.extend(
                statements
                    .into_iter()
                    .zip(comments)
                    .map(|(s, comment)| Item::Statement(Box::new(s), comment)),
            );
        }
        sql.clear();
        Ok(())
    };
    for line in text.lines() {
        match line.trim_start().strip_prefix('\\') {
            Some(command) if !continues_a_token(dialect.as_ref(), &sql) => {
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

/// For each statement of `sql` (text between semicolons holding more than whitespace and
/// comments), the `--` comment lines directly above its first token: consecutive lines, the
/// last one just above it.
fn comments_above_statements(dialect: &dyn Dialect, sql: &str) -> Vec<Vec<String>> {
    let Ok(tokens) = Tokenizer::new(dialect, sql).tokenize_with_location() else {
        return vec![];
    };
    let mut comments = vec![];
    // The `--` comments since the last statement ended, with their line numbers.
    let mut pending: Vec<(u64, String)> = vec![];
    let mut in_statement = false;
    // The line of the last token that is not whitespace: a comment after code on its line is
    // not part of a block above the next statement.
    let mut last_code_line = 0;
    for token in tokens {
        let line = token.span.start.line;
        if !matches!(token.token, Token::Whitespace(_)) {
            last_code_line = line;
        }
        match token.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, prefix })
                if prefix == "--" && !in_statement && line != last_code_line =>
            {
                pending.push((line, comment));
            }
            Token::Whitespace(_) => {}
            Token::SemiColon => {
                in_statement = false;
                pending.clear();
            }
            _ if !in_statement => {
                in_statement = true;
                let mut line = line;
                let mut block = vec![];
                while let Some((comment_line, text)) = pending.pop() {
                    if comment_line + 1 != line {
                        break;
                    }
                    line = comment_line;
                    let text = text.trim_end_matches(['\n', '\r']);
                    block.push(text.strip_prefix(' ').unwrap_or(text).to_string());
                }
                block.reverse();
                comments.push(block);
                pending.clear();
            }
            _ => {}
        }
    }
    comments
}

/// True when the next line would start inside a string literal, quoted identifier or block
/// comment of `sql`. Any tokenizer error counts: the line is then SQL, and parsing reports the
/// error.
fn continues_a_token(dialect: &dyn Dialect, sql: &str) -> bool {
    Tokenizer::new(dialect, sql).tokenize().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<String> {
        parse(text, "generic")
            .unwrap()
            .into_iter()
            .map(|item| match item {
                Item::Statement(s, _) => format!("sql: {s}"),
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
    fn quotes_in_comments_do_not_open_a_string() {
        assert_eq!(
            kinds("-- don't mind me\n\\d\nSELECT 1 -- it's fine\n;\n\\h nps"),
            ["meta: d", "sql: SELECT 1", "meta: h nps"]
        );
        assert_eq!(
            kinds("/* it's a\nblock comment */\n\\d\nSELECT 'a''b'\n\\q"),
            ["meta: d", "sql: SELECT 'a''b'", "meta: q"]
        );
    }

    #[test]
    fn backslash_inside_a_comment_or_identifier_is_sql() {
        assert_eq!(kinds("SELECT 1 /* a\n\\d */;"), ["sql: SELECT 1"]);
        assert_eq!(
            kinds("SELECT 1 AS \"a\n\\d\""),
            ["sql: SELECT 1 AS \"a\n\\d\""]
        );
    }

    fn comments(text: &str) -> Vec<Vec<String>> {
        parse(text, "generic")
            .unwrap()
            .into_iter()
            .filter_map(|item| match item {
                Item::Statement(_, comment) => Some(comment),
                Item::Meta(_) => None,
            })
            .collect()
    }

    #[test]
    fn each_statement_has_the_comment_block_directly_above_it() {
        let script = "-- The file's header.\n\n-- Not directly above: a blank line follows.\n\n\
                      -- First: NPS.\n-- Second line.\nSELECT 1;\n\
                      SELECT 2; -- trailing, not a title\n\
                      -- Third's title\n/* a block comment is not a title */ SELECT 3;\n\
                      SELECT ';\n-- not a comment';\n\
                      -- chart: bar\n  SELECT 5 -- inside\n  -- inside too\n  ;;\n\
                      \\d\n-- after a meta-command\nSELECT 6";
        assert_eq!(
            comments(script),
            [
                vec!["First: NPS.", "Second line."],
                vec![],
                vec!["Third's title"],
                vec![],
                vec!["chart: bar"],
                vec!["after a meta-command"],
            ]
        );
    }

    #[test]
    fn syntax_error_anywhere_fails_the_whole_script() {
        assert!(parse("SELECT 1;\n\\d\nSELEC 2", "generic").is_err());
    }
}

#[cfg(test)]
mod exhaustive {
    use super::*;

    #[test]
    fn the_splitter_never_panics_on_any_short_script() {
        // Quotes, comment starts, backslashes, statement ends and line breaks in every order.
        let alphabet = [
            "'", "\"", "\\", "-", "/", "*", "\n", ";", "a", " ", "$", "é",
        ];
        let mut scripts = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            last = last
                .iter()
                .flat_map(|prefix| alphabet.iter().map(move |c| format!("{prefix}{c}")))
                .collect();
            scripts.extend(last.iter().cloned());
        }
        for script in scripts {
            // Ok or a parse error: never a panic, and meta-commands only from whole lines.
            if let Ok(items) = parse(&script, "generic") {
                for item in items {
                    if let Item::Meta(command) = item {
                        assert!(!command.contains('\n'), "{script:?}");
                    }
                }
            }
        }
    }
}
