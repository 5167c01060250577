//! NumPy `.npy` files, parsed by hand.
//!
//! Layout: magic `\x93NUMPY`, major and minor version bytes, the header length (u16 LE for
//! version 1.0, u32 LE for 2.0 and 3.0), then a Python dict literal such as
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (10, 3), }` padded with spaces and a
//! newline, then the raw element bytes. Nothing in the header is trusted: the declared shape
//! must account for exactly the bytes that follow, checked without overflow before any
//! allocation.

use std::borrow::Cow;
use std::io::Read;

use super::checks::check_data_size;
use super::{DType, InputError, RawArray};

const MAGIC: &[u8] = b"\x93NUMPY";
const FORMAT: &str = ".npy";
/// Nesting limit for the header literal (a real header nests at most 3 deep).
const MAX_DEPTH: usize = 16;

/// Parses an in-memory `.npy` file; `file` names it in messages.
pub fn parse<'a>(bytes: &'a [u8], file: &str) -> Result<RawArray<'a>, InputError> {
    let (header, header_end) = parse_header(bytes, file)?;
    let data = &bytes[header_end..];
    check_data_size(file, &header.shape, header.dtype.size(), data.len() as u64)?;
    Ok(RawArray {
        shape: header.shape,
        dtype: header.dtype,
        big_endian: header.big_endian,
        fortran_order: header.fortran_order,
        data: Cow::Borrowed(data),
    })
}

/// Parses the magic, version and header dict at the start of `bytes` (the whole file or a
/// prefix of it); returns the header and the offset of the element data.
pub fn parse_header(bytes: &[u8], file: &str) -> Result<(Header, usize), InputError> {
    let bad = |detail: String| InputError::Malformed {
        file: file.to_string(),
        format: FORMAT,
        detail,
    };
    if bytes.is_empty() {
        return Err(InputError::Empty {
            file: file.to_string(),
        });
    }
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(bad(
            "bad magic (expected \\x93NUMPY at the start)".to_string()
        ));
    }
    let (major, minor) = match bytes.get(6..8) {
        Some(&[a, b]) => (a, b),
        _ => return Err(bad("truncated before the version bytes".to_string())),
    };
    let (header_start, header_len) = match major {
        1 => match bytes.get(8..10) {
            Some(&[a, b]) => (10usize, usize::from(u16::from_le_bytes([a, b]))),
            _ => return Err(bad("truncated before the header length".to_string())),
        },
        2 | 3 => match bytes.get(8..12) {
            Some(&[a, b, c, d]) => {
                let n = u32::from_le_bytes([a, b, c, d]);
                let n = usize::try_from(n).map_err(|_| bad("header length too large".into()))?;
                (12usize, n)
            }
            _ => return Err(bad("truncated before the header length".to_string())),
        },
        _ => {
            return Err(bad(format!(
                "unsupported format version {major}.{minor} (supported: 1.0, 2.0, 3.0)"
            )))
        }
    };
    let header_end = header_start
        .checked_add(header_len)
        .ok_or_else(|| bad("header length overflows".to_string()))?;
    let header = bytes.get(header_start..header_end).ok_or_else(|| {
        bad(format!(
            "header declares {header_len} bytes but the file ends after {}",
            bytes.len() - header_start.min(bytes.len())
        ))
    })?;
    let header = std::str::from_utf8(header)
        .map_err(|_| bad("header is not ASCII/UTF-8 text".to_string()))?;
    Ok((Header::parse(header, file)?, header_end))
}

/// The offset of the element data as the fixed-size start of a `.npy` (magic, version,
/// header length: 10 or 12 bytes) declares it; None when `start` does not tell (too short,
/// bad magic, unknown version: [`parse_header`] then says why).
fn declared_header_end(start: &[u8]) -> Option<u64> {
    if !start.starts_with(MAGIC) {
        return None;
    }
    match start.get(6)? {
        1 => {
            let n = u16::from_le_bytes([*start.get(8)?, *start.get(9)?]);
            Some(10 + u64::from(n))
        }
        2 | 3 => {
            let n = u32::from_le_bytes(start.get(8..12)?.try_into().ok()?);
            Some(12 + u64::from(n))
        }
        _ => None,
    }
}

/// Reads and parses the header of a `.npy` of `len` bytes from the start of `r`, reading
/// no further than the header says (and never more than `len` bytes); returns the header and
/// the offset of the element data, with the same errors as [`parse_header`] on the whole file.
pub(super) fn read_header(
    r: &mut impl Read,
    len: u64,
    file: &str,
) -> Result<(Header, usize), InputError> {
    let io = |error| InputError::Io {
        file: file.to_string(),
        error,
    };
    let mut prefix = Vec::new();
    r.by_ref()
        .take(len.min(12))
        .read_to_end(&mut prefix)
        .map_err(io)?;
    let end = declared_header_end(&prefix).map_or(prefix.len() as u64, |e| e.min(len));
    if end > prefix.len() as u64 {
        r.by_ref()
            .take(end - prefix.len() as u64)
            .read_to_end(&mut prefix)
            .map_err(io)?;
    }
    parse_header(&prefix, file)
}

/// The start of a version 1.0 `.npy` file up to its element data, for C-order arrays: magic,
/// version, header length and the dict `{'descr': DESCR, 'fortran_order': False, 'shape':
/// SHAPE, }` padded to a multiple of 64 bytes, as NumPy writes it. `shape` is a Python tuple
/// literal such as `(10, 3)` or `(10,)`. For tools and tests that write arrays to analyse.
pub fn encode_header(descr: &str, shape: &str) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = MAGIC.to_vec();
    bytes.extend([1, 0]);
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes
}

/// The decoded header dict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Element type.
    pub dtype: DType,
    /// Byte order of multi-byte elements.
    pub big_endian: bool,
    /// Column-major element order.
    pub fortran_order: bool,
    /// Shape.
    pub shape: Vec<usize>,
}

impl Header {
    /// Parses the header dict literal.
    pub fn parse(text: &str, file: &str) -> Result<Header, InputError> {
        let bad = |detail: String| InputError::Malformed {
            file: file.to_string(),
            format: FORMAT,
            detail,
        };
        let mut p = Lit {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value(0).map_err(|e| bad(format!("header: {e}")))?;
        p.skip_ws();
        if p.i != p.s.len() {
            return Err(bad("header: unexpected text after the dict".to_string()));
        }
        let Value::Dict(entries) = v else {
            return Err(bad("header is not a dict".to_string()));
        };
        let get = |k: &str| entries.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        let descr = get("descr").ok_or_else(|| bad("header has no 'descr'".to_string()))?;
        let (dtype, big_endian) = match descr {
            Value::Str(d) => parse_descr(d, file)?,
            Value::List(_) | Value::Tuple(_) => {
                return Err(InputError::UnsupportedDtype {
                    file: file.to_string(),
                    dtype: "[(name, type), …]".to_string(),
                    why: "a structured/record array with named fields",
                })
            }
            _ => return Err(bad("'descr' is not a string".to_string())),
        };
        let fortran_order = match get("fortran_order") {
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad("'fortran_order' is not True/False".to_string())),
            None => return Err(bad("header has no 'fortran_order'".to_string())),
        };
        let shape = match get("shape") {
            Some(Value::Tuple(items)) | Some(Value::List(items)) => {
                let mut shape = Vec::with_capacity(items.len());
                for it in items {
                    match it {
                        Value::Int(n) => shape.push(*n),
                        _ => return Err(bad("'shape' holds a non-integer".to_string())),
                    }
                }
                shape
            }
            Some(_) => return Err(bad("'shape' is not a tuple".to_string())),
            None => return Err(bad("header has no 'shape'".to_string())),
        };
        Ok(Header {
            dtype,
            big_endian,
            fortran_order,
            shape,
        })
    }
}

/// Parses a NumPy type string such as `<f4`, `>i8`, `|u1`, `|b1`.
fn parse_descr(d: &str, file: &str) -> Result<(DType, bool), InputError> {
    let unsupported = |why: &'static str| InputError::UnsupportedDtype {
        file: file.to_string(),
        dtype: format!("'{d}'"),
        why,
    };
    let mut chars = d.chars();
    let (order, rest) = match chars.next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, chars.as_str()),
        _ => ('=', d),
    };
    let big_endian = match order {
        '>' => true,
        '=' => cfg!(target_endian = "big"),
        _ => false,
    };
    let mut rc = rest.chars();
    let kind = rc.next().ok_or_else(|| unsupported("empty type string"))?;
    let size = rc.as_str();
    let dtype = match (kind, size) {
        ('f', "2") | ('e', "") => DType::F16,
        ('f', "4") | ('f', "") => DType::F32,
        ('f', "8") | ('d', "") => DType::F64,
        ('f', _) | ('g', _) => return Err(unsupported("extended-precision float")),
        ('i', "1") | ('b', "") => DType::I8,
        ('i', "2") | ('h', "") => DType::I16,
        ('i', "4") => DType::I32,
        ('i', "8") | ('q', "") => DType::I64,
        ('u', "1") | ('B', "") => DType::U8,
        ('u', "2") | ('H', "") => DType::U16,
        ('u', "4") => DType::U32,
        ('u', "8") | ('Q', "") => DType::U64,
        ('b', "1") | ('?', _) => DType::Bool,
        ('c', _) | ('F', _) | ('D', _) | ('G', _) => return Err(unsupported("complex numbers")),
        ('O', _) => return Err(unsupported("Python objects (pickled)")),
        ('S', _) | ('a', _) | ('U', _) => return Err(unsupported("strings")),
        ('V', _) => return Err(unsupported("raw void/structured records")),
        ('M', _) | ('m', _) => return Err(unsupported("datetimes/timedeltas")),
        _ => return Err(unsupported("not a NumPy numeric type")),
    };
    Ok((dtype, big_endian))
}

/// A Python literal as found in an npy header.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Int(usize),
    Bool(bool),
    None,
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(String, Value)>),
}

/// A small recursive-descent parser for the Python literals used in npy headers.
struct Lit<'s> {
    s: &'s [u8],
    i: usize,
}

impl Lit<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".to_string());
        }
        self.skip_ws();
        match self.peek() {
            None => Err("unexpected end".to_string()),
            Some(b'\'' | b'"') => self.string().map(Value::Str),
            Some(b'0'..=b'9') => self.int(),
            Some(b'(') => {
                self.i += 1;
                self.seq(b')', depth).map(Value::Tuple)
            }
            Some(b'[') => {
                self.i += 1;
                self.seq(b']', depth).map(Value::List)
            }
            Some(b'{') => {
                self.i += 1;
                self.dict(depth)
            }
            Some(b'-') => Err("negative number".to_string()),
            Some(_) => {
                let start = self.i;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
                    self.i += 1;
                }
                match &self.s[start..self.i] {
                    b"True" => Ok(Value::Bool(true)),
                    b"False" => Ok(Value::Bool(false)),
                    b"None" => Ok(Value::None),
                    _ => Err(format!("unexpected text at byte {start}")),
                }
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.peek().ok_or("unexpected end")?;
        self.i += 1;
        let start = self.i;
        while let Some(c) = self.peek() {
            if c == b'\\' {
                return Err("escape sequences in strings are not supported".to_string());
            }
            if c == quote {
                let s = std::str::from_utf8(&self.s[start..self.i])
                    .map_err(|_| "invalid text in string".to_string())?
                    .to_string();
                self.i += 1;
                return Ok(s);
            }
            self.i += 1;
        }
        Err("unterminated string".to_string())
    }

    fn int(&mut self) -> Result<Value, String> {
        let start = self.i;
        let mut n: usize = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(usize::from(c - b'0')))
                .ok_or_else(|| format!("integer at byte {start} is too large"))?;
            self.i += 1;
        }
        // Python 2 long suffix.
        if matches!(self.peek(), Some(b'L' | b'l')) {
            self.i += 1;
        }
        Ok(Value::Int(n))
    }

    /// Items up to `close`, allowing a trailing comma.
    fn seq(&mut self, close: u8, depth: usize) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(items);
            }
            items.push(self.value(depth + 1)?);
            if self.eat(close) {
                return Ok(items);
            }
            if !self.eat(b',') {
                return Err(format!("expected ',' or '{}'", close as char));
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Value, String> {
        let mut entries = Vec::new();
        loop {
            if self.eat(b'}') {
                return Ok(Value::Dict(entries));
            }
            self.skip_ws();
            let key = match self.peek() {
                Some(b'\'' | b'"') => self.string()?,
                _ => return Err("dict key is not a string".to_string()),
            };
            if !self.eat(b':') {
                return Err("expected ':' after a dict key".to_string());
            }
            let v = self.value(depth + 1)?;
            entries.push((key, v));
            if self.eat(b'}') {
                return Ok(Value::Dict(entries));
            }
            if !self.eat(b',') {
                return Err("expected ',' or '}'".to_string());
            }
        }
    }
}

/// Fixture builders shared by the tests of the input modules.
#[cfg(test)]
pub(crate) mod test_util {
    use std::path::Path;

    use super::super::InputSpec;

    /// Writes `bytes` to `dir/name` and returns the INPUT for it (`PATH` or `PATH:KEY`).
    pub(crate) fn spec_for(dir: &Path, name: &str, bytes: &[u8], key: Option<&str>) -> InputSpec {
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write fixture");
        let s = match key {
            Some(k) => format!("{}:{k}", p.display()),
            None => p.display().to_string(),
        };
        InputSpec::parse(&s).expect("spec")
    }

    /// Little-endian f64 element bytes.
    pub(crate) fn f64s(v: &[f64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    /// Builds a version-1.0 `.npy` file as NumPy writes it (header padded to 64 bytes).
    pub(crate) fn npy_bytes(descr: &str, fortran: bool, shape: &[usize], data: &[u8]) -> Vec<u8> {
        npy_bytes_v(1, descr, fortran, shape, data)
    }

    /// Builds a `.npy` file of format version `major`.0.
    pub(crate) fn npy_bytes_v(
        major: u8,
        descr: &str,
        fortran: bool,
        shape: &[usize],
        data: &[u8],
    ) -> Vec<u8> {
        // A Python tuple literal, as NumPy prints shapes.
        let shape_txt = super::super::fmt_shape(shape);
        let fo = if fortran { "True" } else { "False" };
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': {fo}, 'shape': {shape_txt}, }}");
        let prefix = if major == 1 { 10 } else { 12 };
        while (prefix + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY".to_vec();
        out.push(major);
        out.push(0);
        if major == 1 {
            out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::{fmt_shape, into_matrix, read_matrix, InputSpec};
    use super::test_util::{npy_bytes, npy_bytes_v};
    use super::*;
    use ndarray::{array, Array2};

    fn decode(bytes: &[u8]) -> Result<Array2<f64>, InputError> {
        let raw = parse(bytes, "t.npy")?;
        into_matrix(raw.to_f64("t.npy")?, "t.npy")
    }

    #[test]
    fn f64_round_trips_bit_exact() {
        let vals = [
            0.1,
            -1e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -0.0,
            std::f64::consts::PI,
            1.0 / 3.0,
        ];
        let le: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let be: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
        for (descr, data) in [("<f8", &le), (">f8", &be)] {
            for major in [1, 2, 3] {
                let m = decode(&npy_bytes_v(major, descr, false, &[4, 2], data)).expect("decode");
                let got: Vec<u64> = m.iter().map(|v| v.to_bits()).collect();
                let want: Vec<u64> = vals.iter().map(|v| v.to_bits()).collect();
                assert_eq!(got, want, "{descr} v{major}");
            }
        }
    }

    #[test]
    fn f32_converts_exactly() {
        let vals = [0.1f32, -3.5, f32::MAX, 1e-45, 16_777_217.0];
        let le: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let be: Vec<u8> = vals.iter().flat_map(|v| v.to_be_bytes()).collect();
        for (descr, data) in [("<f4", &le), (">f4", &be)] {
            let m = decode(&npy_bytes(descr, false, &[5, 1], data)).expect("decode");
            for (g, w) in m.iter().zip(vals) {
                assert_eq!(g.to_bits(), f64::from(w).to_bits());
            }
        }
    }

    #[test]
    fn integer_and_half_types() {
        let cases: Vec<(&str, Vec<u8>, Vec<f64>)> = vec![
            ("|u1", vec![0, 255], vec![0.0, 255.0]),
            ("|i1", vec![0x80, 0x7f], vec![-128.0, 127.0]),
            ("|b1", vec![1, 0], vec![1.0, 0.0]),
            (
                "<i2",
                [-2i16, 300].iter().flat_map(|v| v.to_le_bytes()).collect(),
                vec![-2.0, 300.0],
            ),
            (
                ">u2",
                [65535u16, 1].iter().flat_map(|v| v.to_be_bytes()).collect(),
                vec![65535.0, 1.0],
            ),
            (
                "<i4",
                [-7i32, i32::MAX]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect(),
                vec![-7.0, 2147483647.0],
            ),
            (
                ">i8",
                [-(1i64 << 53), 9]
                    .iter()
                    .flat_map(|v| v.to_be_bytes())
                    .collect(),
                vec![-(2f64.powi(53)), 9.0],
            ),
            (
                "<u4",
                [4_000_000_000u32, 0]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect(),
                vec![4e9, 0.0],
            ),
            (
                "<u8",
                [1u64 << 40, 3]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect(),
                vec![2f64.powi(40), 3.0],
            ),
            ("<f2", vec![0x00, 0x3c, 0x00, 0xc0], vec![1.0, -2.0]),
            (">f2", vec![0x3c, 0x00, 0xc0, 0x00], vec![1.0, -2.0]),
        ];
        for (descr, data, want) in cases {
            let m = decode(&npy_bytes(descr, false, &[1, 2], &data)).expect(descr);
            assert_eq!(m.iter().copied().collect::<Vec<_>>(), want, "{descr}");
        }
    }

    #[test]
    fn fortran_order() {
        // Logical [[1, 2, 3], [4, 5, 6]] stored column-major: 1 4 2 5 3 6.
        let data: Vec<u8> = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let m = decode(&npy_bytes("<f4", true, &[2, 3], &data)).expect("fortran");
        assert_eq!(m, array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert!(m.is_standard_layout());
        // Big-endian Fortran f8.
        let data: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let m = decode(&npy_bytes(">f8", true, &[2, 3], &data)).expect("fortran be");
        assert_eq!(m, array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    }

    #[test]
    fn header_variants() {
        // Double quotes, no trailing comma, extra spaces, Python 2 long suffix.
        let h = Header::parse(
            "{\"descr\":\"<f8\" , \"shape\" : (3L,2L),\"fortran_order\":False}  \n",
            "x",
        )
        .expect("header");
        assert_eq!(h.shape, vec![3, 2]);
        assert_eq!(h.dtype, DType::F64);
        let h = Header::parse(
            "{'descr': '|u1', 'fortran_order': True, 'shape': (), }",
            "x",
        )
        .expect("scalar");
        assert!(h.shape.is_empty() && h.fortran_order);
    }

    #[test]
    fn errors() {
        let ok = npy_bytes("<f8", false, &[2, 2], &[0u8; 32]);
        let msg = |b: &[u8]| decode(b).expect_err("should fail").to_string();

        let e = msg(b"");
        assert!(e.contains("'t.npy': the file is empty"), "{e}");
        let e = msg(b"PK\x03\x04 not an npy file");
        assert!(e.contains("not a valid .npy file: bad magic"), "{e}");
        let mut v4 = ok.clone();
        v4[6] = 4;
        assert!(msg(&v4).contains("unsupported format version 4.0"));

        // Truncated data.
        let e = msg(&ok[..ok.len() - 8]);
        assert!(
            e.contains(
                "header declares shape (2, 2) = 4 values (32 bytes) but the file holds 24 bytes"
            ),
            "{e}"
        );
        // Trailing bytes are rejected too, and called that (not "truncated").
        let mut long = ok.clone();
        long.push(0);
        let e = msg(&long);
        assert!(
            e.contains("'t.npy': 1 trailing byte after the 32 bytes of data the header declares (shape (2, 2))"),
            "{e}"
        );
        assert!(!e.contains("truncated"), "{e}");
        long.extend([0; 9]);
        assert!(msg(&long).contains("10 trailing bytes after the 32 bytes"));

        // Overflowing shape, before any allocation.
        let huge = npy_bytes("<f8", false, &[usize::MAX / 2, 4], &[0u8; 8]);
        let e = msg(&huge);
        assert!(
            e.contains("more than 2^64 values") && e.contains("holds 8 bytes"),
            "{e}"
        );
        let big = npy_bytes("<f8", false, &[1 << 40, 1 << 10], &[0u8; 8]);
        let e = msg(&big);
        assert!(e.contains(&format!("= {} values", 1u64 << 50)), "{e}");

        // Unsupported dtypes.
        for (descr, why) in [
            ("<c8", "complex"),
            ("<c16", "complex"),
            ("|O", "Python objects"),
            ("<U5", "strings"),
            ("|S3", "strings"),
            ("<M8[ns]", "datetimes"),
            ("<f16", "extended-precision"),
            ("|V8", "void"),
        ] {
            let e = msg(&npy_bytes(descr, false, &[1, 1], &[0u8; 8]));
            assert!(
                e.contains(&format!("unsupported dtype '{descr}'")) && e.contains(why),
                "{e}"
            );
            assert!(e.contains("astype(np.float32)"), "{e}");
        }
        let e = Header::parse(
            "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
            "t.npy",
        )
        .expect_err("structured")
        .to_string();
        assert!(e.contains("structured"), "{e}");

        // Broken headers.
        for h in [
            "{'descr': '<f8', 'shape': (1, 1), }",
            "{'descr': '<f8', 'fortran_order': 0, 'shape': (1, 1)}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1, -1)}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 99999999999999999999999)}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': ((((((((((((((((((1,),),),),),),),),),),),),),),),),),)}",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1)",
            "[1, 2]",
            "{'descr': 'f\\x38', 'fortran_order': False, 'shape': (1,)}",
        ] {
            let e = Header::parse(h, "t.npy").expect_err(h).to_string();
            assert!(e.contains("not a valid .npy file"), "{h}: {e}");
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        for (descr, fortran) in [("<f4", false), (">f8", true)] {
            let size = if descr == "<f4" { 4 } else { 8 };
            let ok = npy_bytes(descr, fortran, &[3, 2], &vec![0x3f; 6 * size]);
            assert!(decode(&ok).is_ok());
            for n in 0..ok.len() {
                assert!(decode(&ok[..n]).is_err(), "prefix {n} of {}", ok.len());
            }
            // Corrupting each byte must never panic either.
            for i in 0..ok.len() {
                let mut b = ok.clone();
                b[i] ^= 0xff;
                let _ = decode(&b);
                b[i] = b'(';
                let _ = decode(&b);
            }
        }
    }

    #[test]
    fn reads_from_disk_through_spec() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("emb.npy");
        let data: Vec<u8> = [1.5f64, 2.5].iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&p, npy_bytes("<f8", false, &[1, 2], &data)).expect("write");
        let m =
            read_matrix(&InputSpec::parse(&p.display().to_string()).expect("spec")).expect("read");
        assert_eq!(m, array![[1.5, 2.5]]);
        assert_eq!(fmt_shape(m.shape()), "(1, 2)");
    }
}
