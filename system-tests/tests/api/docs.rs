//! The documentation agrees with the code: every environment variable a
//! service reads has a line in `docs/configuration.md`, under a heading that
//! names the service (or says "Every service"), and every variable documented
//! there is one the code reads.
//!
//! The variables are taken from the code, not from a list: each service's clap
//! settings (their `env = …`, through [`clap::CommandFactory`]), and every
//! `ENV_*` constant, `env = "…"` and `env::var("…")` in the workspace's sources
//! (the runtime's telemetry switches and the test helpers' `TEST_*`, read
//! outside clap). So a new variable without its line fails here.
//! `project/scripts/check-docs.py` checks the links and make targets.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use clap::Args;
use regex::Regex;

use crate::deploy::specs;

/// The page that documents every variable.
const CONFIGURATION: &str = "docs/configuration.md";

/// Read by a library, with no name of ours in the code: tracing-subscriber's
/// `EnvFilter::try_from_default_env`.
const READ_BY_LIBRARIES: [&str; 1] = ["RUST_LOG"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn configuration() -> String {
    std::fs::read_to_string(root().join(CONFIGURATION)).expect("docs/configuration.md")
}

/// Each `## ` section of the page: its heading (lowercase) and every
/// `` `NAME` `` in it.
fn sections(page: &str) -> Vec<(String, BTreeSet<String>)> {
    let name = Regex::new(r"`([A-Z][A-Z0-9_]*)`").expect("regex");
    let mut sections: Vec<(String, BTreeSet<String>)> = vec![(String::new(), BTreeSet::new())];
    for line in page.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            sections.push((heading.to_lowercase(), BTreeSet::new()));
        } else if let Some((_, names)) = sections.last_mut() {
            names.extend(name.captures_iter(line).map(|c| c[1].to_owned()));
        }
    }
    sections
}

/// Whether a heading is about `service`: it names it as a word, or it is
/// about every service.
fn covers(heading: &str, service: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
    heading.contains("every service")
        || heading.match_indices(service).any(|(at, _)| {
            !word(heading[..at].chars().next_back())
                && !word(heading[at + service.len()..].chars().next())
        })
}

/// The variables each service reads through its settings, by the name the
/// docs give it (the Dockerfile target's): the six services, and the broker's
/// `compare` subcommand.
fn services() -> BTreeMap<&'static str, BTreeSet<String>> {
    let env = |command: &clap::Command| -> BTreeSet<String> {
        command
            .get_arguments()
            .filter_map(|arg| arg.get_env())
            .map(|env| env.to_string_lossy().into_owned())
            .collect()
    };
    let mut services: BTreeMap<_, _> = specs()
        .iter()
        .map(|spec| (spec.target, env(&spec.command)))
        .collect();
    let compare = broker::cli::CompareArgs::augment_args(clap::Command::new("compare"));
    services.entry("broker").or_default().extend(env(&compare));
    services
}

/// Every variable the workspace's sources name: `ENV_*` constants,
/// `env = "…"` and `env::var("…")`, in each member's `src/`.
fn named_in_the_code() -> BTreeSet<String> {
    let named = Regex::new(
        r#"const ENV_[A-Z0-9_]+: &str = "([A-Z][A-Z0-9_]*)"|env = "([A-Z][A-Z0-9_]*)"|env::var(?:_os)?\("([A-Z][A-Z0-9_]*)"\)"#,
    )
    .expect("regex");
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let members = Regex::new(r"members = \[([^\]]*)\]").expect("regex");
    let members = members.captures(&manifest).expect("workspace members");
    let quoted = Regex::new(r#""([^"]+)""#).expect("regex");
    let mut found = BTreeSet::new();
    for member in quoted.captures_iter(&members[1]) {
        for file in rust_files(&root().join(&member[1]).join("src")) {
            let source = std::fs::read_to_string(&file).expect("a source file");
            for c in named.captures_iter(&source) {
                let name = c.iter().skip(1).flatten().next().expect("a name");
                found.insert(name.as_str().to_owned());
            }
        }
    }
    found.extend(READ_BY_LIBRARIES.map(str::to_owned));
    found
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for path in entries.map(|e| e.expect("a directory entry").path()) {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn every_variable_a_service_reads_is_documented_under_its_heading() {
    let sections = sections(&configuration());
    let mut missing = Vec::new();
    for (service, variables) in services() {
        assert!(!variables.is_empty(), "{service}: no settings found");
        let documented: BTreeSet<&String> = sections
            .iter()
            .filter(|(heading, _)| covers(heading, service))
            .flat_map(|(_, names)| names)
            .collect();
        for variable in variables.iter().filter(|v| !documented.contains(v)) {
            missing.push(format!("{service}: {variable}"));
        }
    }
    assert!(
        missing.is_empty(),
        "{CONFIGURATION} has no line for these variables under a heading that names \
         their service (or \"Every service\"):\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_variable_the_code_names_is_documented_and_no_other() {
    let named = named_in_the_code();
    let page = configuration();
    let documented: BTreeSet<String> = sections(&page)
        .into_iter()
        .flat_map(|(_, names)| names)
        .collect();
    let undocumented: Vec<_> = named.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "{CONFIGURATION} does not name these variables the code reads: {undocumented:?}"
    );
    // A table's first column is a variable of ours: one the code no longer
    // reads is a line to remove.
    let first = Regex::new(r"^\| `([A-Z][A-Z0-9_]*)`").expect("regex");
    let stale: Vec<_> = page
        .lines()
        .filter_map(|line| first.captures(line))
        .map(|c| c[1].to_owned())
        .filter(|name| !named.contains(name))
        .collect();
    assert!(
        stale.is_empty(),
        "{CONFIGURATION} documents variables no code reads: {stale:?}"
    );
}
