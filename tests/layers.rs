//! The dependency rules of `src/`, checked. The rules are written once, as the numbered layer
//! list in `src/lib.rs`'s opening comment; this test reads them from there and fails when
//! production code imports against them:
//! - a top-level module may name (`crate::x`) only modules of lower layers, never one of its own
//!   layer or above (so the surfaces never import each other, and no import cycle can form;
//!   cycles are checked on their own too, so that a loosened rule still cannot hide one);
//! - only `platform/` names `worker::*`;
//! - no file over 600 lines without a reason in its opening comment ("long because").
//!
//! Test code (`#[cfg(test)]` modules and files) is exempt: it drives the whole stack.
#![allow(clippy::unwrap_used)] // a test: a panic is the failure report
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;

/// Macros exported at the crate root, by the module that defines them.
const ROOT_MACROS: &[(&str, &str)] = &[("query", "store"), ("select_accounts", "store")];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// `layer number → module names`, from the lines `//! N. `a` `b` — …` of `src/lib.rs`.
fn layers() -> BTreeMap<String, usize> {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let mut layer_of = BTreeMap::new();
    for line in lib.lines().filter_map(|l| l.strip_prefix("//! ")) {
        let Some((number, rest)) = line.split_once(". ") else { continue };
        let Ok(number) = number.trim().parse::<usize>() else { continue };
        let names = rest.split('—').next().unwrap_or_default();
        for name in names.split('`').skip(1).step_by(2) {
            layer_of.insert(name.to_string(), number);
        }
    }
    assert!(layer_of.len() >= 10, "the layer list in src/lib.rs was not found: {layer_of:?}");
    layer_of
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Files compiled only for tests: declared `#[cfg(test)] mod name;` by their parent.
fn test_only_files(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut test_only = BTreeSet::new();
    for file in files {
        let text = fs::read_to_string(file).unwrap();
        let dir = match file.file_name().and_then(|n| n.to_str()) {
            Some("mod.rs" | "lib.rs") => file.parent().unwrap().to_path_buf(),
            _ => file.with_extension(""),
        };
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for pair in lines.windows(2) {
            if pair[0] != "#[cfg(test)]" {
                continue;
            }
            let declaration = pair[1].trim_start_matches("pub ").trim_start_matches("pub(crate) ");
            if let Some(name) = declaration.strip_prefix("mod ").and_then(|d| d.strip_suffix(';')) {
                test_only.insert(dir.join(format!("{name}.rs")));
                test_only.insert(dir.join(name).join("mod.rs"));
            }
        }
    }
    test_only
}

/// The text without comments and without `#[cfg(test)] mod … { … }` blocks.
fn production_code(text: &str) -> String {
    let without_comments: String = text.lines().map(|l| if l.trim_start().starts_with("//") { "" } else { l }).collect::<Vec<_>>().join("\n");
    let mut out = String::new();
    let mut rest = without_comments.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let body_start = after.find(['{', ';']).unwrap_or(after.len());
        if !after[..body_start].contains("mod ") || !after[body_start..].starts_with('{') {
            // A test-only item that is not a module block: skip just the attribute's item line.
            rest = after.split_once('\n').map_or("", |(_, r)| r);
            continue;
        }
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after[body_start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = body_start + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every top-level module a text names as `crate::x` or `$crate::x`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let macros: BTreeMap<&str, &str> = ROOT_MACROS.iter().copied().collect();
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let name: String = code[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let name = macros.get(name.as_str()).map_or(name.clone(), |m| m.to_string());
        if !name.is_empty() {
            names.insert(name);
        }
    }
    names
}

fn top_module(file: &Path) -> String {
    let relative = file.strip_prefix(src()).unwrap();
    let first = relative.components().next().unwrap().as_os_str().to_str().unwrap();
    first.trim_end_matches(".rs").to_string()
}

struct Tree {
    /// Production imports: `(file, top-level module of the file, named module)`.
    imports: Vec<(PathBuf, String, String)>,
    files: Vec<PathBuf>,
    test_only: BTreeSet<PathBuf>,
}

fn tree() -> Tree {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    let test_only = test_only_files(&files);
    let mut imports = Vec::new();
    for file in files.iter().filter(|f| !test_only.contains(*f)) {
        let top = top_module(file);
        if top == "lib" {
            continue;
        }
        for named in named_modules(&production_code(&fs::read_to_string(file).unwrap())) {
            if named != top {
                imports.push((file.clone(), top.clone(), named));
            }
        }
    }
    Tree { imports, files, test_only }
}

#[test]
fn every_top_level_module_has_a_layer() {
    let layer_of = layers();
    let tree = tree();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    for file in tree.files.iter().filter(|f| !tree.test_only.contains(*f)) {
        let top = top_module(file);
        if top != "lib" && !layer_of.contains_key(&top) {
            missing.insert(top);
        }
    }
    assert!(missing.is_empty(), "give these modules a layer in src/lib.rs: {missing:?}");
}

#[test]
fn imports_point_down_the_layers() {
    let layer_of = layers();
    let mut wrong = Vec::new();
    for (file, from, to) in tree().imports {
        let (Some(a), Some(b)) = (layer_of.get(&from), layer_of.get(&to)) else { continue };
        if b <= a {
            wrong.push(format!("{}: `{from}` (layer {a}) names `crate::{to}` (layer {b})", file.strip_prefix(src()).unwrap().display()));
        }
    }
    assert!(wrong.is_empty(), "imports against the layers of src/lib.rs:\n{}", wrong.join("\n"));
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, from, to) in tree().imports {
        graph.entry(from).or_default().insert(to);
    }
    // Depth-first search with colours: reaching a module still on the stack closes a cycle.
    fn visit(node: &str, graph: &BTreeMap<String, BTreeSet<String>>, state: &mut BTreeMap<String, u8>, stack: &mut Vec<String>) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|n| n == next).unwrap();
                    return Some(stack[start..].to_vec());
                }
                0 => {
                    if let Some(cycle) = visit(next, graph, state, stack) {
                        return Some(cycle);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(node, &graph, &mut state, &mut Vec::new()) {
                panic!("import cycle: {}", cycle.join(" → "));
            }
        }
    }
}

#[test]
fn only_platform_names_worker() {
    let tree = tree();
    let offenders: Vec<String> = tree
        .files
        .iter()
        .filter(|f| top_module(f) != "platform" && !tree.test_only.contains(*f))
        .filter(|f| production_code(&fs::read_to_string(f).unwrap()).contains("worker::"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "only src/platform/ may name worker::*: {offenders:?}");
}

#[test]
fn long_files_say_why() {
    let mut long = Vec::new();
    for file in tree().files {
        let text = fs::read_to_string(&file).unwrap();
        let opening: String = text.lines().take_while(|l| l.starts_with("//!")).collect::<Vec<_>>().join(" ");
        if text.lines().count() > MAX_LINES && !opening.to_lowercase().contains("long because") {
            long.push(format!("{} ({} lines)", file.display(), text.lines().count()));
        }
    }
    assert!(long.is_empty(), "split these files, or say in their opening comment why they are long because …: {long:?}");
}

#[test]
fn the_checker_sees_through_test_modules_and_comments() {
    let code = "use crate::store::db;\n// crate::web in a comment\n#[cfg(test)]\nmod tests {\n    use crate::router;\n    fn f() { if true { crate::web::x(); } }\n}\nfn g() { crate::app::y(); }\n";
    let named = named_modules(&production_code(code));
    assert_eq!(named.into_iter().collect::<Vec<_>>(), ["app", "store"]);
    assert!(named_modules("crate::query!(\"SELECT 1\")").contains("store"));
}
