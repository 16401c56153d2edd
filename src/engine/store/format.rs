//! The format version of a data directory, its log entries and its membership records.
//!
//! A data directory records the format it was written in (`FORMAT`, one line). A release opens
//! only directories of its own format: it refuses older or newer ones with a message that says
//! which release wrote them, rather than misread their records. Directories of releases before
//! the file existed hold no `FORMAT` but do hold data: they are format 1.

use std::path::Path;

use anyhow::bail;

/// Bumped whenever a record's layout or the encoding of a log entry changes incompatibly.
/// 1: strings and lists, positional membership records; 2: per-model commands, change stamps in
/// key headers, hashes/sets/sorted sets, listener maps in the membership.
pub const FORMAT_VERSION: u16 = 2;

const FILE: &str = "FORMAT";

/// Checks (or, for a new directory, records) the format of the data directory `root`.
pub fn check(root: &Path) -> anyhow::Result<()> {
    let file = root.join(FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => {
            let found: u16 = text
                .trim()
                .strip_prefix("trident-data-format ")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| anyhow::anyhow!("{} is not a format record", file.display()))?;
            if found != FORMAT_VERSION {
                bail!(incompatible(root, found));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if holds_data(root)? {
                bail!(incompatible(root, 1));
            }
            std::fs::create_dir_all(root)?;
            let tmp = root.join("FORMAT.tmp");
            std::fs::write(&tmp, format!("trident-data-format {FORMAT_VERSION}\n"))?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, &file)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn incompatible(root: &Path, found: u16) -> String {
    format!(
        "{} holds data in format {found}, written by {} trident release; this release reads \
         format {FORMAT_VERSION} only. Start the release that wrote it, or move the directory \
         away and start with an empty one (a cluster member re-fetches its data with --join)",
        root.display(),
        if found < FORMAT_VERSION {
            "an earlier"
        } else {
            "a later"
        }
    )
}

/// Whether the directory has anything of a store in it (an earlier release's state or log).
fn holds_data(root: &Path) -> anyhow::Result<bool> {
    match std::fs::read_dir(root) {
        Ok(entries) => {
            for e in entries {
                let name = e?.file_name();
                if name == "state" || name == "raft" {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_directory_is_stamped_and_reopens() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("data");
        check(&root).expect("new");
        check(&root).expect("reopen");
        let text = std::fs::read_to_string(root.join(FILE)).expect("read");
        assert_eq!(text, format!("trident-data-format {FORMAT_VERSION}\n"));
    }

    #[test]
    fn an_earlier_release_directory_is_refused_with_a_reason() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("state")).expect("mkdir");
        let e = check(dir.path()).expect_err("format 1").to_string();
        assert!(e.contains("format 1"), "{e}");
        assert!(e.contains("an earlier trident release"), "{e}");
    }

    #[test]
    fn a_later_format_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(FILE), "trident-data-format 99\n").expect("write");
        let e = check(dir.path()).expect_err("format 99").to_string();
        assert!(e.contains("format 99") && e.contains("a later"), "{e}");
    }
}
