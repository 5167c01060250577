//! What the tool's output paths name is respected (ARCHITECTURE.md §2): a regular file is
//! replaced atomically, a symlink is written through and stays a link, a device or FIFO is
//! written directly and never becomes a regular file; a write error on a device is exit 2.
#![cfg(unix)]

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1")
        .env_remove("GITHUB_ACTIONS");
    cmd
}

/// `analyze` on a small CSV (60 × 4, one repeated row: complete collapse) into `dir/run`.
fn analyzed(dir: &Path) -> PathBuf {
    let input = dir.join("emb.csv");
    let mut s = String::from("a,b,c,d\n");
    for _ in 0..60 {
        s.push_str("1,2,3,4\n");
    }
    std::fs::write(&input, s).unwrap();
    let out = dir.join("run");
    bin()
        .arg("analyze")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    out
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .unwrap()
        .file_type()
        .is_symlink()
}

fn is_char_device(p: &Path) -> bool {
    std::fs::symlink_metadata(p)
        .unwrap()
        .file_type()
        .is_char_device()
}

fn c_path(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn junit_through_a_link_to_stdout_goes_to_stdout_and_the_link_stays() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path());
    // The `--junit /dev/stdout` pattern, with a link of our own (/dev/stdout is one).
    let link = tmp.path().join("stdout.xml");
    symlink("/proc/self/fd/1", &link).unwrap();
    let out = bin()
        .arg("check")
        .arg(&run)
        .arg("--junit")
        .arg(&link)
        .assert()
        .code(1);
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(stdout.starts_with("<?xml"), "{stdout}");
    assert!(stdout.contains("</testsuites>\nFAIL emb "), "{stdout}");
    assert!(is_symlink(&link));
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("/proc/self/fd/1")
    );
    // stdout redirected to a file: the XML and the lines follow each other in it (the file is
    // neither truncated under the lines nor replaced).
    let captured = tmp.path().join("captured.txt");
    let file = std::fs::File::create(&captured).unwrap();
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("ib-analyze"))
        .arg("check")
        .arg(&run)
        .arg("--junit")
        .arg(&link)
        .stdout(file)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let text = std::fs::read_to_string(&captured).unwrap();
    assert!(text.starts_with("<?xml"), "{text}");
    assert!(text.contains("</testsuites>\nFAIL emb "), "{text}");
    assert!(!text.contains('\0'), "{text:?}");
}

#[test]
fn junit_through_a_link_to_a_fifo_writes_into_the_fifo() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path());
    let fifo = tmp.path().join("pipe");
    assert_eq!(unsafe { libc::mkfifo(c_path(&fifo).as_ptr(), 0o600) }, 0);
    let link = tmp.path().join("junit.xml");
    symlink(&fifo, &link).unwrap();
    // A non-blocking reader: the tool's open for writing finds it, and reading after the tool
    // exits never waits (the XML fits in the pipe's buffer).
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    bin()
        .arg("check")
        .arg(&run)
        .arg("--junit")
        .arg(&link)
        .assert()
        .code(1);
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut reader, &mut xml).unwrap();
    assert!(
        xml.starts_with("<?xml") && xml.ends_with("</testsuites>\n"),
        "{xml:?}"
    );
    assert!(is_symlink(&link));
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[cfg(target_os = "linux")]
#[test]
fn junit_to_a_full_device_is_exit_2_and_the_device_stays() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path());
    // A private node of /dev/full (major 1, minor 7) where the system allows mknod, so that a
    // build that replaces devices fails here before it could replace the system's /dev/full.
    let node = tmp.path().join("full");
    let made = unsafe {
        libc::mknod(
            c_path(&node).as_ptr(),
            libc::S_IFCHR | 0o666,
            libc::makedev(1, 7),
        )
    } == 0;
    let mut devices = Vec::new();
    if made && std::fs::OpenOptions::new().write(true).open(&node).is_ok() {
        devices.push(node.clone());
        let link = tmp.path().join("full-link.xml");
        symlink(&node, &link).unwrap();
        devices.push(link);
    }
    devices.push(PathBuf::from("/dev/full"));
    for device in &devices {
        bin()
            .arg("check")
            .arg(&run)
            .arg("--junit")
            .arg(device)
            .assert()
            .code(2)
            .stderr(
                contains(format!("--junit {}", device.display()))
                    .and(contains("No space left on device")),
            );
        let resolved = std::fs::canonicalize(device).unwrap();
        assert!(
            is_char_device(&resolved),
            "{} was replaced",
            device.display()
        );
    }
    assert!(is_char_device(Path::new("/dev/full")));
}

#[test]
fn junit_through_a_link_to_a_regular_file_updates_the_target_and_keeps_the_link() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path());
    let reports = tmp.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let target = reports.join("junit.xml");
    std::fs::write(&target, "old").unwrap();
    // A relative link from another directory.
    let links = tmp.path().join("links");
    std::fs::create_dir(&links).unwrap();
    let link = links.join("junit.xml");
    symlink("../reports/junit.xml", &link).unwrap();
    bin()
        .arg("check")
        .arg(&run)
        .arg("--junit")
        .arg(&link)
        .assert()
        .code(1);
    assert!(is_symlink(&link));
    let xml = std::fs::read_to_string(&target).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    // No temporary file is left beside the link or the target.
    assert_eq!(std::fs::read_dir(&links).unwrap().count(), 1);
    assert_eq!(std::fs::read_dir(&reports).unwrap().count(), 1);
    // A dangling link: its target is created, the link stays.
    let dangling = links.join("new.xml");
    symlink("../reports/new.xml", &dangling).unwrap();
    bin()
        .arg("check")
        .arg(&run)
        .arg("--junit")
        .arg(&dangling)
        .assert()
        .code(1);
    assert!(is_symlink(&dangling));
    assert!(std::fs::read_to_string(reports.join("new.xml"))
        .unwrap()
        .starts_with("<?xml"));
}

#[test]
fn report_writes_through_links_in_the_run_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let run = analyzed(tmp.path());
    // report.html kept elsewhere (a web root) through a link; one chart sent to /dev/null.
    let site = tmp.path().join("site");
    std::fs::create_dir(&site).unwrap();
    let page = site.join("index.html");
    std::fs::write(&page, "old").unwrap();
    std::fs::remove_file(run.join("report.html")).unwrap();
    symlink(&page, run.join("report.html")).unwrap();
    let png = run.join("charts").join("spectrum.png");
    let svg = run.join("charts").join("spectrum.svg");
    assert!(png.is_file() && svg.is_file());
    for chart in [&png, &svg] {
        std::fs::remove_file(chart).unwrap();
        symlink("/dev/null", chart).unwrap();
    }
    bin()
        .arg("report")
        .arg(&run)
        .assert()
        .success()
        .stdout(contains("report.html"));
    assert!(is_symlink(&run.join("report.html")));
    assert!(std::fs::read_to_string(&page).unwrap().contains("<html"));
    for chart in [&png, &svg] {
        assert!(is_symlink(chart), "{}", chart.display());
        assert_eq!(std::fs::read_link(chart).unwrap(), Path::new("/dev/null"));
    }
    assert!(is_char_device(Path::new("/dev/null")));
}
