//! `ssl.principal.mapping.rules`: how a client certificate's subject (RFC 2253, as
//! `tls::subject` prints it) becomes the name in its `User:` principal, with Kafka's syntax and
//! semantics (`SslPrincipalMapper`), so a `server.properties` written for Kafka maps the same
//! certificates to the same ACL principals here.
//!
//! The value is a comma-separated list of `DEFAULT` (the subject unchanged) and
//! `RULE:pattern/replacement/` with an optional `L` or `U` after the last slash (lower or upper
//! case the result). Rules are tried in order; a `RULE` applies when its pattern matches the
//! whole subject, and then every match of the pattern in the subject is replaced (Java's
//! `replaceAll`: `$n` and `${name}` refer to groups, `\x` is a literal `x`; `$n` beyond the
//! pattern's groups is literal text, as Kafka escapes it). When no rule applies the client is
//! refused: Kafka fails the authentication the same way, and a list without `DEFAULT` is how an
//! operator says "only these certificates".
//!
//! The rule list is split and each rule read with Kafka's own two regular expressions, so
//! blanks, empty entries, escaped slashes and the error cases behave as in Kafka; the regex
//! crate chooses among alternatives leftmost-first, as Java's backtracking engine does.
//! Differences, all reported when the broker starts, never while a client connects: patterns
//! are the `regex` crate's syntax (Java's backreferences and lookaround are refused; `\w`, `\d`,
//! `\s` also match non-ASCII letters, digits and blanks), and a replacement Java could not apply
//! (`$n` with a pattern without groups, `${name}` of no group, a bare `$`) is a configuration
//! error where Kafka would fail every connection the rule matches.

use std::fmt;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// One rule of Kafka's syntax; groups: 1 `DEFAULT`, 2 pattern, 4 replacement, 6 case, 7 any
/// other text (an invalid rule, or an empty entry).
const RULE: &str = r"(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)";

static SPLITTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\s*({RULE})\s*(,\s*|$)")).expect("rule splitter compiles"));

static PARSER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"\A(?:{RULE})")).expect("rule parser compiles"));

/// The parsed `ssl.principal.mapping.rules` of one listener.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalMapper {
    rules: Vec<Rule>,
}

/// Kafka's default: the subject itself.
impl Default for PrincipalMapper {
    fn default() -> Self {
        PrincipalMapper {
            rules: vec![Rule::Default],
        }
    }
}

#[derive(Debug, Clone)]
enum Rule {
    Default,
    Replace(Replace),
}

#[derive(Debug, Clone)]
struct Replace {
    /// The pattern as written (for messages), and compiled to find matches and to test a whole
    /// subject.
    pattern: String,
    find: Regex,
    whole: Regex,
    replacement: String,
    pieces: Vec<Piece>,
    case: Case,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Group(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Keep,
    Lower,
    Upper,
}

impl PrincipalMapper {
    /// Parses a rule list; the error says which rule is wrong and why.
    pub(crate) fn parse(rules: &str) -> Result<PrincipalMapper, String> {
        // Java's trim(): every char up to and including the blank.
        let rules = rules.trim_matches(|c: char| c <= ' ');
        let mut parsed = Vec::new();
        for split in SPLITTER.captures_iter(rules) {
            let rule = split.get(1).map_or("", |m| m.as_str());
            let Some(caps) = PARSER.captures(rule) else {
                return Err(format!("invalid rule: {rule}"));
            };
            let end = caps.get(0).map_or(0, |m| m.end());
            if end != rule.len() {
                return Err(format!(
                    "invalid rule `{rule}`: unexpected `{}` (rules are DEFAULT or RULE:pattern/replacement/ with an optional L or U)",
                    &rule[end..]
                ));
            }
            if caps.get(1).is_some() {
                parsed.push(Rule::Default);
            } else if let (Some(pattern), Some(replacement)) = (caps.get(2), caps.get(4)) {
                let case = match caps.get(6).map(|m| m.as_str()) {
                    Some("L") => Case::Lower,
                    Some("U") => Case::Upper,
                    _ => Case::Keep,
                };
                parsed.push(Rule::Replace(Replace::new(
                    pattern.as_str(),
                    replacement.as_str(),
                    case,
                )?));
            }
            // Anything else matched group 7 with nothing left over: an empty entry, ignored.
        }
        Ok(PrincipalMapper { rules: parsed })
    }

    /// The principal name for `subject`, from the first rule that applies; `None` when none
    /// does (the client is refused).
    pub(crate) fn name(&self, subject: &str) -> Option<String> {
        self.rules.iter().find_map(|rule| match rule {
            Rule::Default => Some(subject.to_string()),
            Rule::Replace(r) => r.apply(subject),
        })
    }
}

/// Kafka's `toString` of the rule list, which its tests use to show how a value was split.
impl fmt::Display for PrincipalMapper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, rule) in self.rules.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match rule {
                Rule::Default => f.write_str("DEFAULT")?,
                Rule::Replace(r) => {
                    write!(f, "RULE:{}/{}", r.pattern, r.replacement)?;
                    match r.case {
                        Case::Lower => f.write_str("/L")?,
                        Case::Upper => f.write_str("/U")?,
                        Case::Keep => {}
                    }
                }
            }
        }
        f.write_str("]")
    }
}

/// Mappers are equal when they say the same (compiled patterns have no equality).
impl PartialEq for PrincipalMapper {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for PrincipalMapper {}

impl Replace {
    fn new(pattern: &str, replacement: &str, case: Case) -> Result<Replace, String> {
        let bad_pattern = |e: regex::Error| format!("invalid pattern `{pattern}` in RULE: {e}");
        let find = Regex::new(pattern).map_err(bad_pattern)?;
        let whole = Regex::new(&format!(r"\A(?:{pattern})\z")).map_err(bad_pattern)?;
        let pieces = replacement_pieces(replacement, &find).map_err(|e| {
            format!("invalid replacement `{replacement}` in RULE:{pattern}/{replacement}/: {e}")
        })?;
        Ok(Replace {
            pattern: pattern.to_string(),
            find,
            whole,
            replacement: replacement.to_string(),
            pieces,
            case,
        })
    }

    fn apply(&self, subject: &str) -> Option<String> {
        if !self.whole.is_match(subject) {
            return None;
        }
        let replaced = self.replace_all(subject);
        Some(match self.case {
            Case::Keep => replaced,
            Case::Lower => replaced.to_lowercase(),
            Case::Upper => replaced.to_uppercase(),
        })
    }

    /// Java's `String.replaceAll`: after a match the search goes on where it ended, so a
    /// pattern that can match empty also matches at the very end (`.*` replaces `abc` twice);
    /// after an empty match it goes on one character later. Spelled out because the regex
    /// crate's iterator skips an empty match right after a match.
    fn replace_all(&self, subject: &str) -> String {
        let mut out = String::with_capacity(subject.len());
        let mut copied_to = 0;
        let mut at = 0;
        while at <= subject.len() {
            let Some(caps) = self.find.captures_at(subject, at) else {
                break;
            };
            let Some(m) = caps.get(0) else { break };
            out.push_str(&subject[copied_to..m.start()]);
            self.expand(&caps, &mut out);
            copied_to = m.end();
            at = if m.is_empty() {
                subject[m.end()..]
                    .chars()
                    .next()
                    .map_or(subject.len() + 1, |c| m.end() + c.len_utf8())
            } else {
                m.end()
            };
        }
        out.push_str(&subject[copied_to..]);
        out
    }

    fn expand(&self, caps: &Captures<'_>, out: &mut String) {
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                // A group that took no part in the match adds nothing, as in Java.
                Piece::Group(g) => out.push_str(caps.get(*g).map_or("", |m| m.as_str())),
            }
        }
    }
}

/// A replacement read as Java's `Matcher.appendReplacement` reads it, after Kafka's escaping of
/// `$n` beyond the pattern's groups: `\x` is `x`; `$` and digits name the longest group number
/// the pattern has; `${name}` a named group.
fn replacement_pieces(replacement: &str, pattern: &Regex) -> Result<Vec<Piece>, String> {
    let groups = pattern.captures_len() - 1;
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => text.push(escaped),
                None => return Err("a \\ at its end escapes nothing".into()),
            },
            '$' => {
                let group = match chars.peek().copied() {
                    None => return Err("a $ at its end names no group".into()),
                    Some('{') => {
                        chars.next();
                        let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                        let index = pattern
                            .capture_names()
                            .position(|n| n == Some(name.as_str()))
                            .ok_or_else(|| format!("the pattern has no group named {name}"))?;
                        Some(index)
                    }
                    Some(d) if d.is_ascii_digit() => {
                        let first = d as usize - '0' as usize;
                        if first > groups && groups > 0 {
                            // Kafka escapes it: literal `$` and digits.
                            None
                        } else if first > groups {
                            return Err(format!("the pattern has no group {first}"));
                        } else {
                            chars.next();
                            let mut n = first;
                            while let Some(next) = chars.peek().and_then(|c| c.to_digit(10)) {
                                let longer = n * 10 + next as usize;
                                if longer > groups {
                                    break;
                                }
                                n = longer;
                                chars.next();
                            }
                            Some(n)
                        }
                    }
                    Some(other) => return Err(format!("${other} is not a group reference")),
                };
                match group {
                    Some(g) => {
                        if !text.is_empty() {
                            pieces.push(Piece::Text(std::mem::take(&mut text)));
                        }
                        pieces.push(Piece::Group(g));
                    }
                    None => text.push('$'),
                }
            }
            other => text.push(other),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapper(rules: &str) -> PrincipalMapper {
        PrincipalMapper::parse(rules).unwrap_or_else(|e| panic!("{rules}: {e}"))
    }

    fn split(rules: &str) -> String {
        mapper(rules).to_string()
    }

    #[test]
    fn valid_rule_lists_parse() {
        for rules in [
            "DEFAULT",
            "RULE:^CN=(.*?),OU=Robots.*$/$1/",
            "RULE:^CN=(.*?),OU=Robots.*$/$1/U, DEFAULT",
            "RULE:^CN=(.*?),OU=(.*?),O=(.*?),C=(.*?)$/$2-$1/",
            "RULE:^.*[Cc][Nn]=([a-z0-9.]*).*$/$1/L",
            "RULE:^CN=([^,LU]+)(,.*|$)/$1/",
            "RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/",
            "RULE:^CN=(?P<who>[^,]+),.*$/${who}/",
        ] {
            mapper(rules);
        }
    }

    #[test]
    fn invalid_rule_lists_are_refused() {
        for rules in [
            "default",
            "DEFAUL",
            "DEFAULT/U",
            "RULE:CN=(.*?),OU=Robots.*/$1",
            "rule:^CN=(.*?)$/$1/",
            "RULE:^CN=(.*?)$/$1/U/L",
            "RULE:^CN=(.*?)$/L",
            "RULE:^CN=(.*?)$/$1/UL",
            "RULE:^CN=(.*$/$1/",
            "RULE:^CN=(a)\\1$/$1/",
            "RULE:^CN=.*$/$1/",
            "RULE:^CN=(.*)$/$x/",
            "RULE:^CN=(.*)$/$1\\/",
            "RULE:^CN=(.*)$/${nope}/",
        ] {
            assert!(PrincipalMapper::parse(rules).is_err(), "{rules} parsed");
        }
        let e = PrincipalMapper::parse("RULE:^CN=(.*?)$/$1/LX").unwrap_err();
        assert!(e.contains("RULE:^CN=(.*?)$/$1/LX") && e.contains("`X`"), "{e}");
    }

    #[test]
    fn lists_split_as_kafka_splits_them() {
        assert_eq!(split(""), "[]");
        assert_eq!(split("DEFAULT"), "[DEFAULT]");
        assert_eq!(split("RULE://"), "[RULE:/]");
        assert_eq!(split("RULE:/x*/U"), "[RULE:/x*/U]");
        assert_eq!(split("  RULE:a// ,  DEFAULT  "), "[RULE:a/, DEFAULT]");
        assert_eq!(split("  RULE:  /   / ,DEFAULT"), "[RULE:  /   , DEFAULT]");
        assert_eq!(
            split(" RULE:([a-z]+)/$1/L   ,RULE:(x)/y$1/,  DEFAULT  "),
            "[RULE:([a-z]+)/$1/L, RULE:(x)/y$1, DEFAULT]"
        );
        // Empty entries are skipped.
        assert_eq!(split(" ,  ,, ,  "), "[]");
        assert_eq!(split(",,RULE:a/b/,, ,DEFAULT,,"), "[RULE:a/b, DEFAULT]");
        // Escaped slashes and backslashes stay in the pattern and replacement as written.
        assert_eq!(split(r"RULE:\/\\\(x\)\t/\/\//"), r"[RULE:\/\\\(x\)\t/\/\/]");
        assert_eq!(
            split(r"RULE:\**\/+/*/U,RULE:\/*/**/"),
            r"[RULE:\**\/+/*/U, RULE:\/*/**]"
        );
        // Commas and rule words inside patterns do not split.
        assert_eq!(
            split(r"RULE:,DEFAULT,/,RULE:,\//L,RULE:,/RULE:,/,DEFAULT"),
            r"[RULE:,DEFAULT,/,RULE:,\//L, RULE:,/RULE:,, DEFAULT]"
        );
    }

    #[test]
    fn first_applying_rule_names_the_principal() {
        let m = mapper(
            "RULE:^CN=(.*?),OU=Robots.*$/$1/L, \
             RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),C=(.*?)$/$1@$2/L, \
             RULE:^cn=(.*?),ou=(.*?),dc=(.*?)$/$1.$2/U, \
             RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, \
             DEFAULT",
        );
        assert_eq!(m.name("CN=R2D2,OU=Robots,O=Rebels,C=TA").unwrap(), "r2d2");
        assert_eq!(
            m.name("CN=Leia,OU=Senate,O=Rebels,L=Alderaan,C=TA").unwrap(),
            "leia@senate"
        );
        assert_eq!(m.name("cn=han,ou=smugglers,dc=falcon").unwrap(), "HAN.SMUGGLERS");
        assert_eq!(m.name("O=Empire,cN=vader,OU=Sith").unwrap(), "VADER");
        assert_eq!(
            m.name("OU=Droids,O=Jawas,C=TA").unwrap(),
            "OU=Droids,O=Jawas,C=TA"
        );
    }

    #[test]
    fn without_default_an_unmatched_subject_has_no_name() {
        let m = mapper("RULE:^CN=([^,]+),OU=Robots$/$1/");
        assert_eq!(m.name("CN=c3po,OU=Robots").unwrap(), "c3po");
        assert_eq!(m.name("CN=c3po,OU=Robots,O=x"), None);
        assert_eq!(mapper("").name("CN=a"), None);
    }

    #[test]
    fn replacement_follows_java() {
        // An escaped comma in the subject stays in the name.
        let m = mapper(r"RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/,DEFAULT");
        assert_eq!(
            m.name(r"CN=Organa\, Leia,OU=Senate,DC=rebels").unwrap(),
            r"Organa\, Leia"
        );
        // Every match is replaced, also the empty one at the end (Java's replaceAll).
        assert_eq!(mapper("RULE:.*/x/").name("abc").unwrap(), "xx");
        assert_eq!(mapper("RULE:(.*?)/<$1>/").name("ab").unwrap(), "<>a<>b<>");
        // Beyond the pattern's groups `$n` is text; digits extend a group number while it exists.
        assert_eq!(mapper("RULE:^CN=(.*)$/$1@$2/").name("CN=a").unwrap(), "a@$2");
        assert_eq!(mapper("RULE:^CN=(.*)$/$12/").name("CN=a").unwrap(), "a2");
        assert_eq!(mapper(r"RULE:^CN=(.*)$/\$1=$0/").name("CN=a").unwrap(), "$1=CN=a");
        assert_eq!(
            mapper("RULE:^CN=(?P<who>.*)$/${who}!/").name("CN=a").unwrap(),
            "a!"
        );
        // A group that took no part adds nothing.
        assert_eq!(mapper("RULE:^(x)?CN=(.*)$/[$1]$2/").name("CN=a").unwrap(), "[]a");
    }

    proptest::proptest! {
        /// Whatever an operator writes is a mapper or an error, and a mapper maps any subject
        /// without panicking.
        #[test]
        fn any_rule_text_parses_or_fails_cleanly(
            rules in "((RULE:|DEFAULT|,| |/|\\\\|\\$[0-9{}a-z]?|[()*+?.^$|\\[\\]a-zA-Z=,LU]){0,40})",
            subject in "\\PC{0,40}",
        ) {
            if let Ok(m) = PrincipalMapper::parse(&rules) {
                let _ = m.name(&subject);
                let _ = m.to_string();
            }
        }
    }
}
