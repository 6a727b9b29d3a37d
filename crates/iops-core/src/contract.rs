//! The report contract, generated from the Rust types of `report` (their
//! TypeScript form comes from ts-rs, their doc comments with it): the
//! TypeScript types `src/generated/report.ts` and the field reference
//! `docs/report.md`. The test fails when a committed file is stale;
//! `UPDATE_CONTRACT=1 cargo test -p iops-core contract` rewrites them.

use std::fmt::Write;
use std::path::PathBuf;

use ts_rs::{Config, TS};

use crate::event::FdKind;
use crate::histogram::Bin;
use crate::pattern::{AccessSummary, Pattern};
use crate::report::*;

/// One exported type: an object with fields, or a union of string values.
struct Decl {
    name: String,
    doc: String,
    body: Body,
}

enum Body {
    Fields(Vec<Field>),
    /// (value, what it means)
    Values(Vec<(String, String)>),
}

struct Field {
    name: String,
    ty: String,
    doc: String,
}

fn decl<T: TS>(cfg: &Config, value_docs: &[(String, String)]) -> Decl {
    let name = T::ident(cfg);
    let text = T::decl(cfg);
    let rhs = text.split_once(" = ").expect("a type declaration").1.trim().trim_end_matches(';').trim();
    let body = if let Some(inner) = rhs.strip_prefix('{') {
        Body::Fields(fields(inner.strip_suffix('}').expect("an object type")))
    } else {
        let values: Vec<String> = rhs.split(" | ").map(|v| v.trim_matches('"').to_string()).collect();
        let meaning = |v: &String| value_docs.iter().find(|(k, _)| k == v).map(|(_, d)| d.clone()).unwrap_or_default();
        Body::Values(values.iter().map(|v| (v.clone(), meaning(v))).collect())
    };
    Decl { name, doc: T::docs().map(|d| jsdoc_text(&d)).unwrap_or_default(), body }
}

/// `/** a\n * b */` as "a b".
fn jsdoc_text(doc: &str) -> String {
    let inner = doc.trim().trim_start_matches("/**").trim_end_matches("*/");
    inner.lines().map(|l| l.trim().trim_start_matches('*').trim()).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The fields of ts-rs's `{ /** doc */ name: type, ... }`.
fn fields(inner: &str) -> Vec<Field> {
    let mut out = Vec::new();
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let mut doc = String::new();
        if let Some(after) = rest.strip_prefix("/**") {
            let end = after.find("*/").expect("a closed doc comment");
            doc = jsdoc_text(&format!("/**{}*/", &after[..end]));
            rest = after[end + 2..].trim_start();
        }
        let (name, after) = rest.split_once(':').expect("a field");
        // The type ends at the first comma outside brackets.
        let mut depth = 0i32;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '{' | '<' | '(' | '[' => depth += 1,
                '}' | '>' | ')' | ']' => depth -= 1,
                ',' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        out.push(Field { name: name.trim().to_string(), ty: after[..end].trim().to_string(), doc });
        rest = after[(end + 1).min(after.len())..].trim_start();
    }
    out
}

/// The doc comment of each variant of `enum_name` in `source` (this
/// crate's own text), keyed by its serde name: ts-rs drops variant docs.
fn variant_docs(source: &str, enum_name: &str, serde_name: impl Fn(&str) -> String) -> Vec<(String, String)> {
    let start = source.find(&format!("pub enum {enum_name} {{")).expect("the enum");
    let body = &source[start..source[start..].find("\n}").map(|e| start + e).expect("its end")];
    let mut out = Vec::new();
    let mut doc = Vec::new();
    for line in body.lines().skip(1).map(str::trim) {
        if let Some(d) = line.strip_prefix("///") {
            doc.push(d.trim().to_string());
        } else if line.starts_with("#[") {
            continue;
        } else if let Some(v) = line.strip_suffix(',') {
            out.push((serde_name(v), doc.join(" ")));
            doc.clear();
        }
    }
    out
}

/// The doc comment of each row of the source table (`source_table!` in
/// `source`, this crate's own text), keyed by the source's name.
fn source_docs(source: &str) -> Vec<(String, String)> {
    let start = source.find("$then! {").expect("the source table");
    let body = &source[start..source[start..].find("\n    } };").map(|e| start + e).expect("its end")];
    let mut out = Vec::new();
    let mut doc = Vec::new();
    for line in body.lines().skip(1).map(str::trim) {
        if let Some(d) = line.strip_prefix("///") {
            doc.push(d.trim().to_string());
        } else if let Some((_, rest)) = line.split_once(" = \"").filter(|(variant, _)| variant.chars().all(|c| c.is_ascii_alphanumeric())) {
            let name = rest.split('"').next().expect("a quoted name");
            out.push((name.to_string(), doc.join(" ")));
            doc.clear();
        }
    }
    out
}

fn kebab(variant: &str) -> String {
    let mut s = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            s.push('-');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

fn decls() -> Vec<Decl> {
    let cfg = Config::new().with_large_int("number");
    let source_docs = source_docs(include_str!("source.rs"));
    let code_docs = variant_docs(include_str!("warning.rs"), "WarningCode", kebab);
    let call_kind_docs = variant_docs(include_str!("event.rs"), "CallKind", kebab);
    vec![
        decl::<Report>(&cfg, &[]),
        decl::<Source>(&cfg, &source_docs),
        decl::<TracerTime>(&cfg, &[]),
        decl::<Totals>(&cfg, &[]),
        decl::<StorageBytes>(&cfg, &[]),
        decl::<FailedOps>(&cfg, &[]),
        decl::<MetadataOps>(&cfg, &[]),
        decl::<FileReport>(&cfg, &[]),
        decl::<FdKind>(&cfg, &[]),
        decl::<Pattern>(&cfg, &[]),
        decl::<AccessSummary>(&cfg, &[]),
        decl::<SyscallReport>(&cfg, &[]),
        decl::<SizeHistogram>(&cfg, &[]),
        decl::<Bin>(&cfg, &[]),
        decl::<Latency>(&cfg, &[]),
        decl::<LatencySummary>(&cfg, &[]),
        decl::<TimelineReport>(&cfg, &[]),
        decl::<TimelinePoint>(&cfg, &[]),
        decl::<CallKindTime>(&cfg, &[]),
        decl::<CallKind>(&cfg, &call_kind_docs),
        decl::<Mapping>(&cfg, &[]),
        decl::<Heatmap>(&cfg, &[]),
        decl::<Finding>(&cfg, &[]),
        decl::<Severity>(&cfg, &[]),
        decl::<ExitInfo>(&cfg, &[]),
        decl::<WarningCode>(&cfg, &code_docs),
    ]
}

fn jsdoc(out: &mut String, indent: &str, doc: &str) {
    if !doc.is_empty() {
        let _ = writeln!(out, "{indent}/** {doc} */");
    }
}

fn typescript(decls: &[Decl]) -> String {
    let mut out = String::from(
        "// Generated from crates/iops-core/src/report.rs by `UPDATE_CONTRACT=1 cargo test -p iops-core contract`:\n\
         // do not edit. The report as every source and front end writes it (see docs/report.md).\n",
    );
    for d in decls {
        out.push('\n');
        jsdoc(&mut out, "", &d.doc);
        match &d.body {
            Body::Fields(fields) => {
                let _ = writeln!(out, "export interface {} {{", d.name);
                for f in fields {
                    jsdoc(&mut out, "  ", &f.doc);
                    let _ = writeln!(out, "  {}: {};", f.name, f.ty);
                }
                out.push_str("}\n");
            }
            Body::Values(values) => {
                let _ = writeln!(out, "export type {} =", d.name);
                for (i, (v, doc)) in values.iter().enumerate() {
                    jsdoc(&mut out, "  ", doc);
                    let end = if i + 1 == values.len() { ";" } else { "" };
                    let _ = writeln!(out, "  | {v:?}{end}");
                }
                let list: Vec<String> = values.iter().map(|(v, _)| format!("{v:?}")).collect();
                let _ = writeln!(out, "\n/** Every value of `{}`. */", d.name);
                let _ = writeln!(
                    out,
                    "export const {}_VALUES: readonly {}[] = [{}];",
                    upper_snake(&d.name),
                    d.name,
                    list.join(", ")
                );
            }
        }
    }
    out
}

/// The counters sources (`Source::is_counters`), for the front ends' choice
/// of source and their fallback notices; each source's label for people.
fn counter_sources() -> String {
    let names: Vec<String> = Source::ALL.into_iter().filter(|s| s.is_counters()).map(|s| format!("{:?}", s.name())).collect();
    let labels: Vec<String> = Source::ALL.into_iter().map(|s| format!("  {:?}: {:?},", s.name(), s.label())).collect();
    format!(
        "\n/** The sources that read per-process counters, not per-call events: the fallbacks when no event source can run. */\nexport const COUNTER_SOURCES: readonly Source[] = [{}];\n\n/** Each source's name for people (\"ptrace syscall tracer\"). */\nexport const SOURCE_LABELS: Readonly<Record<Source, string>> = {{\n{}\n}};\n",
        names.join(", "),
        labels.join("\n")
    )
}

fn upper_snake(name: &str) -> String {
    kebab(name).replace('-', "_").to_uppercase()
}

fn markdown(decls: &[Decl]) -> String {
    let mut out = String::from(
        "# The report\n\n\
         <!-- Generated from crates/iops-core/src/report.rs by `UPDATE_CONTRACT=1 cargo test -p iops-core contract`: do not edit. -->\n\n\
         One JSON shape for `iops --json`, `profile()`, `iops report` and the notebook magics. Field names are\n\
         camelCase. Units: bytes, seconds (`elapsedSeconds`, `t`, `intervalSeconds`), nanoseconds (`*Ns`,\n\
         latency bins), operations per second (`iops`), bytes per second (`throughputBytesPerSecond`).\n\
         **`null` means not measured**: the source cannot see it (see *What each source sees*), never a zero.\n\
         The TypeScript types are `src/generated/report.ts` (re-exported by the package). The Node layer adds\n\
         `host` (`name`, `platform`, `release`, `arch`: the machine the report was made on).\n\n\
         ## What each source sees\n\n\
         What a source cannot see is `null` in its reports. A log may show less than its format can (a strace log\n\
         without `-T` has no durations); its warnings say so.\n\n",
    );
    let cols = [
        ("op counts", "summary"),
        ("sizes", "histogram, syscalls, failedOps, timeline"),
        ("offsets", "access patterns"),
        ("files", "files"),
        ("fd kinds", "otherFds"),
        ("latency", "latency"),
        ("clock", "elapsedSeconds, rates"),
        ("storage bytes", "storage"),
        ("metadata calls", "metadataOps"),
        ("mmap", "mappings"),
    ];
    out.push_str("| source |");
    for (c, fields) in cols {
        let _ = write!(out, " {c} ({fields}) |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(cols.len()));
    out.push('\n');
    for s in Source::ALL {
        let v = s.sees();
        let seen = [v.op_counts, v.sizes, v.offsets, v.files, v.fd_kinds, v.latency, v.timestamps, v.storage_bytes, v.metadata_calls, v.mmaps];
        let _ = write!(out, "| `{}` |", s.name());
        for b in seen {
            out.push_str(if b { " yes |" } else { " no |" });
        }
        out.push('\n');
    }
    for d in decls {
        let _ = writeln!(out, "\n## `{}`\n", d.name);
        if !d.doc.is_empty() {
            let _ = writeln!(out, "{}\n", d.doc);
        }
        match &d.body {
            Body::Fields(fields) => {
                out.push_str("| field | type | meaning |\n|---|---|---|\n");
                for f in fields {
                    let _ = writeln!(out, "| `{}` | `{}` | {} |", f.name, f.ty.replace('|', "\\|"), f.doc.replace('|', "\\|"));
                }
            }
            Body::Values(values) => {
                out.push_str("| value | meaning |\n|---|---|\n");
                for (v, doc) in values {
                    let _ = writeln!(out, "| `{v}` | {} |", doc.replace('|', "\\|"));
                }
            }
        }
    }
    out
}

fn check(path: PathBuf, text: &str) {
    if std::env::var_os("UPDATE_CONTRACT").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is stale: the report types changed. Run `UPDATE_CONTRACT=1 cargo test -p iops-core contract` and commit it",
        path.display()
    );
}

#[test]
fn contract_files_are_current() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let decls = decls();
    check(root.join("src/generated/report.ts"), &(typescript(&decls) + &counter_sources()));
    check(root.join("docs/report.md"), &markdown(&decls));
}

#[test]
fn every_field_and_value_is_documented() {
    for d in decls() {
        match d.body {
            Body::Fields(fields) => assert!(!fields.is_empty(), "{}", d.name),
            Body::Values(values) if d.name == "Source" || d.name == "WarningCode" || d.name == "CallKind" => {
                for (v, doc) in values {
                    assert!(!doc.is_empty(), "{}: {v} has no doc comment", d.name);
                }
            }
            Body::Values(_) => {}
        }
    }
}
