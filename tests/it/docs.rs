//! The repository's own documents, as a reader of a fresh clone meets
//! them: every relative link resolves to a file or folder inside the
//! repository, and none leaves it (a clone has nothing beside it).

use std::path::{Component, Path, PathBuf};

/// Every Markdown file of the repository (not build output, not the fuzz
/// corpora).
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if !["target", ".git", "corpus", "artifacts", "node_modules"].contains(&&*name) {
                markdown_files(&path, out);
            }
        } else if name.ends_with(".md") {
            out.push(path);
        }
    }
}

/// The targets of the inline links `[text](target)` of `text`, outside
/// code spans and fenced blocks.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Drop inline code spans: `[a](b)` inside backquotes is not a link.
        let mut plain = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].trim().to_owned());
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_resolves_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let root = root.canonicalize().unwrap();
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("README.md")) && files.len() >= 5,
        "{files:?}"
    );
    let mut checked = 0;
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for link in links(&text) {
            if link.contains("://") || link.starts_with('#') || link.starts_with("mailto:") {
                continue;
            }
            let path = link.split('#').next().unwrap();
            let target = file.parent().unwrap().join(path);
            // Resolve `..` by hand: the target may not exist.
            let mut resolved = PathBuf::new();
            for c in target.components() {
                match c {
                    Component::ParentDir => {
                        resolved.pop();
                    }
                    Component::CurDir => {}
                    other => resolved.push(other),
                }
            }
            checked += 1;
            if !resolved.starts_with(&root) {
                broken.push(format!(
                    "{}: `{link}` leaves the repository",
                    file.display()
                ));
            } else if !resolved.exists() {
                broken.push(format!("{}: `{link}` does not exist", file.display()));
            }
        }
    }
    assert!(
        checked >= 5,
        "only {checked} links found: the scan is broken"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_scanner_finds_links_and_skips_code() {
    let text = "see [a](docs/A.md) and `[b](nope.md)`\n```\n[c](nope.md)\n```\n[d](x.md#part)";
    assert_eq!(links(text), ["docs/A.md", "x.md#part"]);
}
