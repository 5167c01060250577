//! Inputs a hostile (or unlucky) user can hand the tool: devices, FIFOs, directories and
//! symlinks to them in every input role; headers that declare more than the file or memory
//! holds; archive members that disagree with their headers; and names and fields carrying
//! control characters. Each is exit 2 with a message naming the path and the problem, quickly,
//! with no control character echoed raw.
#![cfg(unix)]

mod common;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{gaussian, npy_header, write_npy};

/// Address-space limit for the child: a reader that regresses into reading a device without
/// end fails its allocation here instead of filling the machine's memory.
const CHILD_ADDRESS_SPACE: u64 = 4 << 30;

/// Each refusal must come well within this (a FIFO that is opened blocks for ever).
const TIMEOUT: Duration = Duration::from_secs(60);

/// What one invocation printed.
struct Outcome {
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
}

/// Runs `ib-analyze ARGS` with a bounded address space and a timeout.
fn run(args: &[&str]) -> Outcome {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ib-analyze"));
    cmd.args(args).env("RAYON_NUM_THREADS", "1");
    // SAFETY: setrlimit is async-signal-safe and touches only the child's own limits.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: CHILD_ADDRESS_SPACE,
                rlim_max: CHILD_ADDRESS_SPACE,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let out = assert_cmd::Command::from_std(cmd)
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    Outcome {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

/// Asserts exit 2 with every one of `wants` in the message, no panic, within the timeout.
fn refused(args: &[&str], wants: &[&str]) -> String {
    let o = run(args);
    assert_eq!(
        o.code,
        Some(2),
        "{args:?}: exit {:?} after {:?}: {}",
        o.code,
        o.elapsed,
        o.stderr
    );
    assert!(o.elapsed < TIMEOUT, "{args:?}: took {:?}", o.elapsed);
    for want in wants {
        assert!(
            o.stderr.contains(want),
            "{args:?}: lacks '{want}': {}",
            o.stderr
        );
    }
    assert!(!o.stderr.contains("panicked"), "{args:?}: {}", o.stderr);
    o.stderr
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A well-formed 40×3 embedding.
fn good_npy(dir: &Path) -> PathBuf {
    let p = dir.join("good.npy");
    write_npy(&p, &[40, 3], &gaussian(120, 7));
    p
}

/// Every role a file can play: INPUT, --views, --target, --labels of `analyze`, the INPUT of
/// `estimate`, `run --dataset` and its --labels.
fn roles<'a>(good: &'a str, bad: &'a str, out: &'a str) -> Vec<Vec<&'a str>> {
    vec![
        vec!["analyze", bad],
        vec!["analyze", good, "--views", bad],
        vec!["analyze", good, "--target", bad],
        vec!["analyze", good, "--labels", bad],
        vec!["estimate", "entropy", "--method", "kl", bad],
        vec![
            "run",
            "--quiet",
            "--epochs",
            "1",
            "--out",
            out,
            "--dataset",
            bad,
        ],
        vec![
            "run",
            "--quiet",
            "--epochs",
            "1",
            "--out",
            out,
            "--dataset",
            good,
            "--labels",
            bad,
        ],
    ]
}

#[test]
fn devices_fifos_directories_and_symlinks_to_them_are_refused_in_every_role() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = good_npy(d);
    let zero_link = d.join("emb.npy");
    std::os::unix::fs::symlink("/dev/zero", &zero_link).unwrap();
    let random_link = d.join("rand.npz");
    std::os::unix::fs::symlink("/dev/urandom", &random_link).unwrap();
    let fifo = d.join("fifo.npy");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path; mkfifo reads it and creates the node.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let dir = d.join("x.npy");
    std::fs::create_dir(&dir).unwrap();
    let cases: [(&Path, &str, &str); 6] = [
        (Path::new("/dev/zero"), "/dev/zero", "a character device"),
        (
            Path::new("/dev/urandom"),
            "/dev/urandom",
            "a character device",
        ),
        (&zero_link, "emb.npy", "a character device"),
        (&random_link, "rand.npz", "a character device"),
        (&fifo, "fifo.npy", "a FIFO"),
        (&dir, "x.npy", "a directory"),
    ];
    let out = d.join("out");
    for (path, name, kind) in cases {
        for args in roles(s(&good), s(path), s(&out)) {
            refused(&args, &[name, kind, "not a regular file"]);
        }
    }
    // A key on a non-regular archive path is refused the same way.
    let keyed = format!("{}:emb", s(&random_link));
    refused(&["analyze", &keyed], &["rand.npz", "a character device"]);
}

#[test]
fn os_error_text_is_printed_once() {
    let tmp = tempfile::tempdir().unwrap();
    let looped = tmp.path().join("loop.npy");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let good = good_npy(tmp.path());
    let out = tmp.path().join("out");
    for args in roles(s(&good), s(&looped), s(&out)) {
        let err = refused(&args, &["loop.npy", "os error 40"]);
        assert_eq!(err.matches("os error 40").count(), 1, "{args:?}: {err}");
    }
}

/// An `.npy` of `n`×`d` f32 zeros declared in the header, with `extra` bytes after the data.
fn npy_f32(path: &Path, n: usize, d: usize, extra: usize) {
    let mut b = npy_header("<f4", &format!("({n}, {d})"));
    b.extend(
        gaussian(n * d, 3)
            .iter()
            .flat_map(|&v| (v as f32).to_le_bytes()),
    );
    b.extend(vec![0u8; extra]);
    std::fs::write(path, b).unwrap();
}

/// A zip of `members` (name, bytes), deflated.
fn npz(path: &Path, members: &[(&str, &[u8])]) {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn trailing_bytes_are_called_trailing_not_truncated() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let p = d.join("long.npy");
    npy_f32(&p, 40, 3, 5);
    let want = "5 trailing bytes after the 480 bytes of data the header declares";
    for args in [
        vec!["analyze", s(&p)],
        vec!["estimate", "entropy", "--method", "kl", s(&p)],
    ] {
        let err = refused(&args, &["long.npy", want]);
        assert!(!err.contains("truncated"), "{args:?}: {err}");
    }
    // The same inside an archive (streamed for `analyze`, in memory for `estimate`).
    let member = std::fs::read(&p).unwrap();
    let z = d.join("long.npz");
    npz(&z, &[("emb.npy", &member)]);
    for args in [
        vec!["analyze", s(&z)],
        vec!["estimate", "entropy", "--method", "kl", s(&z)],
    ] {
        let err = refused(&args, &["long.npz:emb", want]);
        assert!(!err.contains("truncated"), "{args:?}: {err}");
    }
    // Fewer bytes than declared is still "truncated".
    let short = d.join("short.npy");
    std::fs::write(&short, &member[..member.len() - 9]).unwrap();
    refused(&["analyze", s(&short)], &["short.npy", "truncated"]);
}

#[test]
fn a_u64_label_beyond_i64_is_out_of_range_not_a_non_integer() {
    let tmp = tempfile::tempdir().unwrap();
    let good = good_npy(tmp.path());
    let labels = tmp.path().join("y.npy");
    let mut b = npy_header("<u8", "(40,)");
    for i in 0..40u64 {
        let v = if i == 17 { u64::MAX } else { i % 3 };
        b.extend(v.to_le_bytes());
    }
    std::fs::write(&labels, b).unwrap();
    let err = refused(
        &["analyze", s(&good), "--labels", s(&labels)],
        &[
            "y.npy",
            "label 18446744073709551615 at index 17 is out of range",
            "9223372036854775807",
        ],
    );
    assert!(!err.contains("not an integer"), "{err}");
    assert!(!err.contains("integer class ids, found"), "{err}");
}

/// Asserts that `err` holds no control character but the final newline, and no line that
/// starts a GitHub workflow command.
fn no_raw_control_characters(err: &str) {
    let body = err.strip_suffix('\n').unwrap_or(err);
    assert!(
        !body.chars().any(|c| c.is_control()),
        "raw control character in: {err:?}"
    );
    assert!(
        !err.lines().any(|l| l.trim_start().starts_with("::")),
        "{err:?}"
    );
}

#[test]
fn control_characters_from_files_and_names_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A quoted CSV field with a newline that would forge a workflow command, ESC and NUL.
    let csv = d.join("x.csv");
    std::fs::write(
        &csv,
        b"a,b\n1,2\n3,\"4\n::error title=INJECTED::x\x1b[31m\x00\"\n",
    )
    .unwrap();
    let err = refused(
        &["analyze", s(&csv)],
        &["x.csv", "is not a number", "\\n::error", "\\e[31m\\0"],
    );
    no_raw_control_characters(&err);
    // A file name with a newline (missing, then present but malformed).
    let name = d.join("emb\n::error title=INJECTED::x.npy");
    let err = refused(&["analyze", s(&name)], &["no such file", "emb\\n::error"]);
    no_raw_control_characters(&err);
    std::fs::write(&name, b"garbage").unwrap();
    let err = refused(&["analyze", s(&name)], &["bad magic", "emb\\n::error"]);
    no_raw_control_characters(&err);
    // Member names of an archive, listed when the key is missing.
    let z = d.join("m.npz");
    let member = std::fs::read(good_npy(d)).unwrap();
    npz(
        &z,
        &[("a\n::error::b.npy", &member), ("c\x1b[2J.npy", &member)],
    );
    let keyed = format!("{}:zz", s(&z));
    let err = refused(
        &["analyze", &keyed],
        &["no array 'zz'", "a\\n::error::b", "c\\e[2J"],
    );
    no_raw_control_characters(&err);
    // A key with a control character.
    let keyed = format!("{}:k\u{1}\t", s(&z));
    let err = refused(&["analyze", &keyed], &["no array 'k\\u{1}\\t'"]);
    no_raw_control_characters(&err);
    // A dtype string in a .npy header.
    let p = d.join("dtype.npy");
    let mut b = npy_header("<f\n::error::4", "(2, 2)");
    b.extend([0u8; 32]);
    std::fs::write(&p, b).unwrap();
    let err = refused(
        &["analyze", s(&p)],
        &["unsupported dtype", "<f\\n::error::4"],
    );
    no_raw_control_characters(&err);
    // The dataset path of `run`.
    let out = d.join("out");
    let err = refused(
        &[
            "run",
            "--quiet",
            "--epochs",
            "1",
            "--out",
            s(&out),
            "--dataset",
            s(&name),
        ],
        &["emb\\n::error"],
    );
    no_raw_control_characters(&err);
}

#[test]
fn declared_sizes_beyond_memory_are_refused_before_allocating() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // A sparse regular file whose header and size agree on 2 TiB of f32 data.
    let (n, dim) = (1usize << 33, 64usize);
    let p = d.join("huge.npy");
    let mut header = npy_header("<f4", &format!("({n}, {dim})"));
    let data = (n * dim * 4) as u64;
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(&header).unwrap();
        f.set_len(header.len() as u64 + data).unwrap();
    }
    for args in [
        vec!["analyze", s(&p)],
        vec!["estimate", "entropy", "--method", "kl", s(&p)],
    ] {
        refused(
            &args,
            &["huge.npy", "needs", "bytes of memory, more than the"],
        );
    }
    // An archive member whose .npy header declares far more than the member holds.
    header = npy_header("<f4", &format!("({n}, {dim})"));
    header.extend([0u8; 64]);
    let z = d.join("liar.npz");
    npz(&z, &[("emb.npy", &header)]);
    for args in [
        vec!["analyze", s(&z)],
        vec!["estimate", "entropy", "--method", "kl", s(&z)],
    ] {
        refused(
            &args,
            &[
                "liar.npz:emb",
                "header declares shape (8589934592, 64)",
                "holds 64 bytes",
            ],
        );
    }
}

/// Offsets of the uncompressed-size fields of the only member of a zip written by the `zip`
/// crate without zip64: the local header's (byte 22) and the central directory entry's.
fn size_fields(zip: &[u8]) -> [usize; 2] {
    let central = zip
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory entry");
    [22, central + 24]
}

#[test]
fn archive_members_are_bounded_by_their_declared_size() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = std::fs::read(good_npy(d)).unwrap();
    // A member that decompresses to more than it declares: its header and declared size
    // agree (40×3 f8), 1 MB of zeros follow.
    let mut bomb = good.clone();
    bomb.extend(vec![0u8; 1 << 20]);
    let z = d.join("bomb.npz");
    npz(&z, &[("emb.npy", &bomb)]);
    let mut bytes = std::fs::read(&z).unwrap();
    for at in size_fields(&bytes) {
        bytes[at..at + 4].copy_from_slice(&(good.len() as u32).to_le_bytes());
    }
    std::fs::write(&z, &bytes).unwrap();
    for args in [
        vec!["analyze", s(&z)],
        vec!["estimate", "entropy", "--method", "kl", s(&z)],
    ] {
        refused(&args, &["bomb.npz", "declare"]);
    }
    // A member that declares more than it holds.
    let z = d.join("short.npz");
    npz(&z, &[("emb.npy", &good)]);
    let mut bytes = std::fs::read(&z).unwrap();
    for at in size_fields(&bytes) {
        bytes[at..at + 4].copy_from_slice(&(good.len() as u32 + 8).to_le_bytes());
    }
    std::fs::write(&z, &bytes).unwrap();
    for args in [
        vec!["analyze", s(&z)],
        vec!["estimate", "entropy", "--method", "kl", s(&z)],
    ] {
        refused(&args, &["short.npz"]);
    }
    // A healthy archive streams to the same numbers as the .npy it holds, f64 and f32 (the
    // tensor is named after the file stem in both).
    let json = |p: &Path| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ib-analyze"))
            .args(["analyze", s(p), "--json"])
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_object_mut().unwrap().remove("input");
        v
    };
    std::fs::create_dir(d.join("z")).unwrap();
    let f32_npy = d.join("f32.npy");
    npy_f32(&f32_npy, 50, 4, 0);
    for member in [good, std::fs::read(&f32_npy).unwrap()] {
        let (npy, z) = (d.join("emb.npy"), d.join("z/emb.npz"));
        std::fs::write(&npy, &member).unwrap();
        npz(&z, &[("arr_0.npy", &member)]);
        assert_eq!(json(&z), json(&npy));
    }
}
