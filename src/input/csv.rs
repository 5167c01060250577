//! Numeric `.csv` files with exactly one header row.
//!
//! Every data row must have as many fields as the header; every field must parse as a
//! number (surrounding spaces are ignored). The first row is always the header, even when it
//! looks numeric. Blank lines are skipped.

use ndarray::Array2;

use super::checks::{check_fits, memory_limit};
use super::InputError;

const FORMAT: &str = ".csv";

/// Longest field text quoted back in an error message.
const MAX_QUOTED: usize = 40;

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_QUOTED {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX_QUOTED).collect();
        format!("{head}…")
    }
}

/// Parses an in-memory CSV into an N×d matrix (NaN/inf parse and are reported later by the
/// finiteness check, with their position).
pub fn parse(bytes: &[u8], file: &str) -> Result<Array2<f64>, InputError> {
    let ([nrows, ncols], data) = parse_le_bytes(bytes, file)?;
    let (chunks, _) = data.as_chunks::<8>();
    let values: Vec<f64> = chunks.iter().map(|c| f64::from_le_bytes(*c)).collect();
    Array2::from_shape_vec((nrows, ncols), values).map_err(|e| InputError::Malformed {
        file: file.to_string(),
        format: FORMAT,
        detail: format!("{nrows} rows × {ncols} columns: {e}"),
    })
}

/// [`parse`] as the shape `[N, d]` and the values as little-endian f64 bytes, row by row
/// (the element bytes of a C-order `<f8` array). The values are held once; before their
/// buffer grows, the file's bytes and the grown buffer must fit in memory ([`check_fits`]).
pub(super) fn parse_le_bytes(
    bytes: &[u8],
    file: &str,
) -> Result<([usize; 2], Vec<u8>), InputError> {
    if bytes.is_empty() {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    let malformed = |detail: String| InputError::Malformed {
        file: file.to_string(),
        format: FORMAT,
        detail,
    };
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(bytes);
    let ncols = rdr
        .byte_headers()
        .map_err(|e| malformed(format!("header row: {e}")))?
        .len();
    let mut values: Vec<u8> = Vec::new();
    let mut nrows = 0usize;
    let mut record = ::csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(malformed(format!("row {}: {e}", nrows + 1))),
        }
        nrows += 1;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != ncols {
            return Err(InputError::CsvRagged {
                file: file.to_string(),
                row: nrows,
                line,
                found: record.len(),
                expected: ncols,
            });
        }
        let row_bytes = 8 * ncols;
        if values.capacity() - values.len() < row_bytes {
            // Double, as a vector does, but check the memory first and never abort.
            let grow = values.len().max(row_bytes).max(1 << 16);
            let total = (bytes.len() as u64)
                .checked_add(values.len() as u64)
                .and_then(|b| b.checked_add(grow as u64));
            check_fits(file, "the CSV's values as f64", total)?;
            values.try_reserve(grow).map_err(|_| InputError::TooLarge {
                file: file.to_string(),
                what: "the CSV's values as f64".to_string(),
                needed: total.map_or_else(|| "more than 2^64".to_string(), |t| t.to_string()),
                limit: memory_limit(),
            })?;
        }
        for (j, field) in record.iter().enumerate() {
            let text = String::from_utf8_lossy(field);
            let v = text.parse::<f64>().map_err(|_| InputError::CsvNotNumber {
                file: file.to_string(),
                row: nrows,
                column: j + 1,
                line,
                value: shorten(&text),
            })?;
            values.extend_from_slice(&v.to_le_bytes());
        }
    }
    Ok(([nrows, ncols], values))
}

#[cfg(test)]
mod tests {
    use super::super::{fuzz_entry, read_labels, read_matrix, Format, InputSpec};
    use ndarray::array;

    fn spec(dir: &std::path::Path, name: &str, text: &[u8]) -> InputSpec {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        InputSpec::parse(&p.display().to_string()).expect("spec")
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = spec(
            dir.path(),
            "x.csv",
            b"a,b,c\n0.1, -2e-3 ,3\n\n4,5.5,1e300\r\n7,8,9",
        );
        let m = read_matrix(&s).expect("csv");
        assert_eq!(
            m,
            array![[0.1, -2e-3, 3.0], [4.0, 5.5, 1e300], [7.0, 8.0, 9.0]]
        );
        assert_eq!(m[[0, 0]].to_bits(), 0.1f64.to_bits());
        let s = spec(dir.path(), "l.csv", b"label\n3\n1\n2.0\n");
        assert_eq!(read_labels(&s).expect("labels"), vec![3, 1, 2]);
    }

    #[test]
    fn errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let msg = |name: &str, text: &[u8]| {
            read_matrix(&spec(dir.path(), name, text))
                .expect_err(name)
                .to_string()
        };
        let e = msg("x.csv", b"a,b,c\n1,2,3\n4,5,abc\n");
        assert!(e.ends_with("x.csv' row 2 column 3: 'abc' is not a number — the CSV must be numeric with exactly one header row (rows and columns counted from 1 after the header; line 3 of the file)"), "{e}");
        let e = msg("r.csv", b"a,b,c\n1,2,3\n4,5\n");
        assert!(
            e.contains(
                "r.csv' row 2: 2 fields but the header has 3 — make every row the same length"
            ),
            "{e}"
        );
        let e = msg("e.csv", b"a,b\n1,\n");
        assert!(e.contains("row 1 column 2: '' is not a number"), "{e}");
        let e = msg("h.csv", b"a,b\n");
        assert!(e.contains("shape (0, 2): zero rows"), "{e}");
        let e = msg("z.csv", b"");
        assert!(e.contains("the file is empty"), "{e}");
        let e = msg("n.csv", b"a,b\n1,2\nnan,4\n5,inf\n");
        assert!(
            e.contains("2 non-finite value(s)") && e.contains("row 1, column 0 (0-based)"),
            "{e}"
        );
        let long = format!("a\n{}\n", "x".repeat(100));
        let e = msg("long.csv", long.as_bytes());
        assert!(e.contains(&format!("'{}…'", "x".repeat(40))), "{e}");
        let e = msg("bin.csv", b"a\n\xff\xfe\n");
        assert!(e.contains("is not a number"), "{e}");
    }

    #[test]
    fn truncations_never_panic() {
        let ok = b"a,b\n1.5,2\n3,4\n";
        for n in 0..ok.len() {
            let _ = fuzz_entry(&ok[..n], Format::Csv);
        }
        assert!(fuzz_entry(b"", Format::Csv).is_err());
        assert_eq!(fuzz_entry(ok, Format::Csv).expect("valid").len(), 1);
    }
}
