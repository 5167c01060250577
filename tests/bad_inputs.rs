//! A corpus of bad inputs through the CLI: each gets exit 2, a message naming the file or flag,
//! no panic, and no output directory that looks complete.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use std::path::Path;

mod common;
use common::{gaussian, npy_header, write_npy};

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("ib-analyze").unwrap();
    cmd.env("RAYON_NUM_THREADS", "1");
    cmd
}

/// `analyze FILE --out DIR` must exit 2 naming the file (and `also` when given), and leave no
/// run.json behind.
fn refused(dir: &Path, file: &Path, also: &str) {
    let out = dir.join(format!(
        "out-{}",
        file.file_name().unwrap().to_string_lossy()
    ));
    let assert = bin()
        .arg("analyze")
        .arg(file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        stderr.contains(&name),
        "{name}: message does not name the file: {stderr}"
    );
    assert!(
        stderr.contains(also),
        "{name}: message lacks '{also}': {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    assert!(
        !out.join("run.json").exists(),
        "{name}: an output directory that looks complete"
    );
}

#[test]
fn every_bad_input_is_refused_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = {
        let mut b = npy_header("<f8", "(40, 3)");
        for v in gaussian(120, 1) {
            b.extend(v.to_le_bytes());
        }
        b
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.npy", vec![], "empty"),
        ("truncated.npy", good[..good.len() - 17].to_vec(), ""),
        ("header-only.npy", good[..40].to_vec(), ""),
        (
            "bad-magic.npy",
            b"NOTNUMPY and then some bytes".to_vec(),
            "",
        ),
        (
            "absurd-shape.npy",
            {
                let mut b = npy_header("<f8", "(1000000000000, 1000000000000)");
                b.extend([0u8; 64]);
                b
            },
            "shape",
        ),
        (
            "complex.npy",
            {
                let mut b = npy_header("<c16", "(4, 2)");
                b.extend([0u8; 128]);
                b
            },
            "c16",
        ),
        (
            "one-d.npy",
            {
                let mut b = npy_header("<f8", "(30,)");
                b.extend([0u8; 240]);
                b
            },
            "2-D",
        ),
        (
            "four-d.npy",
            {
                let mut b = npy_header("<f8", "(2, 2, 2, 2)");
                b.extend([0u8; 128]);
                b
            },
            "2-D",
        ),
        ("nonnumeric.csv", b"a,b\n1,2\n3,oops\n".to_vec(), "oops"),
        ("ragged.csv", b"a,b\n1,2\n3\n".to_vec(), ""),
        ("empty.csv", b"a,b\n".to_vec(), ""),
        (
            "truncated.safetensors",
            b"\x40\x00\x00\x00\x00\x00\x00\x00{\"x\":".to_vec(),
            "",
        ),
        ("unknown.parquet", b"PAR1".to_vec(), "unknown input format"),
    ];
    for (name, bytes, also) in &cases {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        refused(d, &p, also);
    }
    // NaN and inf values, named with their position.
    let mut vals = gaussian(120, 2);
    vals[7] = f64::INFINITY;
    let p = d.join("inf.npy");
    write_npy(&p, &[40, 3], &vals);
    refused(d, &p, "");
    // All-constant data is a finding, not bad input.
    let p = d.join("constant.npy");
    write_npy(&p, &[40, 3], &[1.5; 120]);
    bin()
        .arg("analyze")
        .arg(&p)
        .assert()
        .success()
        .stdout(contains("complete-collapse"));
}

#[test]
fn bad_keys_and_flags_are_refused_naming_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("emb.npy");
    write_npy(&p, &[40, 3], &gaussian(120, 3));
    // A key on a single-array format.
    bin()
        .arg("analyze")
        .arg(format!("{}:z", p.display()))
        .assert()
        .code(2)
        .stderr(contains("emb.npy"));
    // A missing npz key lists what is there.
    let npz = tmp.path().join("two.npz");
    {
        use std::io::Write;
        let file = std::fs::File::create(&npz).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let opts: zip::write::SimpleFileOptions = Default::default();
        for name in ["a.npy", "b.npy"] {
            zip.start_file(name, opts).unwrap();
            zip.write_all(&std::fs::read(&p).unwrap()).unwrap();
        }
        zip.finish().unwrap();
    }
    bin()
        .arg("analyze")
        .arg(format!("{}:z", npz.display()))
        .assert()
        .code(2)
        .stderr(contains("two.npz").and(contains("a, b")));
    bin()
        .arg("analyze")
        .arg(&npz)
        .assert()
        .code(2)
        .stderr(contains("two.npz:a"));
    // k ≥ N and bad column ranges in `estimate`.
    bin()
        .args(["estimate", "entropy", "--method", "kl", "--k", "40"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(contains("--k").or(contains("k = 40")));
    bin()
        .args(["estimate", "entropy", "--method", "kl", "--x-cols", "2:9"])
        .arg(&p)
        .assert()
        .code(2)
        .stderr(contains("--x-cols"));
    // Bad config values name the key.
    let cfg = tmp.path().join("bad.toml");
    for (text, key) in [
        ("[optim]\nbatch_size = 1\n", "batch_size"),
        ("[dataset]\nk_views = 0\n", "k_views"),
        ("epochs = 0\n", "epochs"),
        ("[loss]\nbyol_momentum_base = 1.5\n", "byol_momentum_base"),
        ("[model]\nencoder = \"cnn\"\n", "cnn"),
        ("seed = \"one\"\n", "seed"),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let out = tmp.path().join("never");
        bin()
            .args(["run", "--quiet", "--epochs", "1", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(contains(key));
        assert!(!out.join("run.json").exists());
    }
}
