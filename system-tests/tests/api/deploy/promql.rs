//! Just enough of PromQL to tell which metrics a query reads, for the checks
//! of the Grafana dashboard. Not a parser: the dashboard's queries hold
//! Grafana's `$variables` (`[$__rate_interval]` is no PromQL duration), and they
//! are simple (selectors, `rate`, `sum by`, `histogram_quantile`), so skipping
//! strings, brackets, functions and keywords is enough, with no dependency.

/// Aggregations: functions, even when `by (…)` comes before their parentheses.
const AGGREGATIONS: [&str; 12] = [
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
];
/// Keywords followed by a list of label names.
const LABEL_LISTS: [&str; 6] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];
/// Other keywords.
const KEYWORDS: [&str; 5] = ["bool", "and", "or", "unless", "offset"];

/// The index after the quoted string that starts at `start`.
fn string_end(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            c if c == chars[start] => return i + 1,
            _ => {}
        }
        i += 1;
    }
    chars.len()
}

/// The index after the bracketed group that opens at `start` (strings skipped).
fn group_end(chars: &[char], start: usize) -> usize {
    let close = match chars[start] {
        '(' => ')',
        '[' => ']',
        _ => '}',
    };
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '"' | '\'' | '`' => {
                i = string_end(chars, i);
                continue;
            }
            c if c == chars[start] => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    chars.len()
}

/// The metric names a PromQL expression reads: what is left once strings,
/// label matchers, ranges, label lists, functions, keywords, numbers and
/// Grafana's `$variables` are taken out.
pub fn metric_names(expr: &str) -> Vec<String> {
    let chars: Vec<char> = expr.chars().collect();
    let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut names = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '"' | '\'' | '`') {
            i = string_end(&chars, i);
        } else if matches!(c, '{' | '[') {
            i = group_end(&chars, i);
        } else if c == '$' || c.is_ascii_digit() || c == '.' {
            i += 1;
            while i < chars.len() && (word_char(chars[i]) || chars[i] == '.') {
                i += 1;
            }
        } else if word_char(c) {
            let start = i;
            while i < chars.len() && word_char(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = (i..chars.len()).find(|&j| !chars[j].is_whitespace());
            let call = next.is_some_and(|j| chars[j] == '(');
            if LABEL_LISTS.contains(&word.as_str()) {
                if let Some(j) = next.filter(|_| call) {
                    i = group_end(&chars, j);
                }
            } else if !call && !AGGREGATIONS.contains(&word.as_str()) && !KEYWORDS.contains(&&*word)
            {
                names.push(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

#[test]
fn promql_metric_names_leave_out_functions_labels_strings_and_variables() {
    let expr = r#"histogram_quantile(0.99, sum by (transport, le) (rate(a_bucket{action=~"$action",x="}"}[$__rate_interval]))) / on (job) group_left (b) sum without(le) (b_total offset 5m) > bool 1e3"#;
    assert_eq!(metric_names(expr), ["a_bucket", "b_total"]);
    assert_eq!(metric_names("up"), ["up"]);
}
