//! Element types and the raw array: shape, element type, byte order, layout and the element
//! bytes of one array as stored in a file, and their exact conversion to f64 (or f32).
//!
//! Half-precision elements (IEEE binary16 `f16`, and `bf16`, the upper half of an f32) are
//! decoded by the `half` crate; every finite value, ±0 and ±inf converts exactly.

use std::borrow::Cow;

use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn, ShapeBuilder};

use super::checks::{bytes_of, check_fits, fmt_shape, vec_for};
use super::InputError;

/// Element type of an array stored in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// Boolean, one byte (0 or 1).
    Bool,
    /// Unsigned integers.
    U8,
    /// Unsigned 16-bit integer.
    U16,
    /// Unsigned 32-bit integer.
    U32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 8-bit integer.
    I8,
    /// Signed 16-bit integer.
    I16,
    /// Signed 32-bit integer.
    I32,
    /// Signed 64-bit integer.
    I64,
    /// IEEE half precision.
    F16,
    /// bfloat16 (upper half of an f32).
    BF16,
    /// IEEE single precision.
    F32,
    /// IEEE double precision.
    F64,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::U16 | DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::U32 | DType::I32 | DType::F32 => 4,
            DType::U64 | DType::I64 | DType::F64 => 8,
        }
    }

    /// True for the floating-point types.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }
}

/// A decoded-header view of an array: shape, element type, layout and the raw data bytes.
///
/// Invariant (checked by the constructors in the format modules):
/// `data.len() == shape.product() * dtype.size()`.
#[derive(Debug, Clone)]
pub struct RawArray<'a> {
    /// Shape, outermost axis first.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Byte order of multi-byte elements.
    pub big_endian: bool,
    /// Column-major (Fortran) element order.
    pub fortran_order: bool,
    /// The element bytes.
    pub data: Cow<'a, [u8]>,
}

impl RawArray<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len() / self.dtype.size()
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Errors unless the element bytes and `copies` arrays of the values as `out_size`-byte
    /// numbers fit in memory together ([`check_fits`]), before a conversion allocates them.
    fn check_conversion(
        &self,
        file: &str,
        out_size: usize,
        copies: usize,
        type_name: &str,
    ) -> Result<(), InputError> {
        let out = bytes_of(self.len(), out_size).and_then(|b| b.checked_mul(copies as u64));
        let total = out.and_then(|o| o.checked_add(self.data.len() as u64));
        check_fits(
            file,
            &format!(
                "the array of shape {} as {type_name}",
                fmt_shape(&self.shape)
            ),
            total,
        )
    }

    /// How many arrays a conversion holds at once: two for Fortran order (the values in
    /// stored order and their C-order copy), else one.
    fn copies(&self) -> usize {
        if self.fortran_order && self.shape.len() > 1 {
            2
        } else {
            1
        }
    }

    /// Converts every element to f64 (exactly for all types but 64-bit integers beyond 2^53),
    /// in the stored element order.
    fn values_f64(&self, file: &str) -> Result<Vec<f64>, InputError> {
        let be = self.big_endian;
        let d: &[u8] = &self.data;
        let what = "the values as f64";
        Ok(match self.dtype {
            DType::Bool | DType::U8 => map_chunks(d, file, what, |c: [u8; 1]| f64::from(c[0]))?,
            DType::I8 => map_chunks(d, file, what, |c: [u8; 1]| f64::from(c[0] as i8))?,
            DType::U16 => map_chunks(d, file, what, |c: [u8; 2]| f64::from(u16_of(c, be)))?,
            DType::I16 => map_chunks(d, file, what, |c: [u8; 2]| f64::from(u16_of(c, be) as i16))?,
            DType::F16 => map_chunks(d, file, what, |c: [u8; 2]| f16_of(c, be).to_f64())?,
            DType::BF16 => map_chunks(d, file, what, |c: [u8; 2]| bf16_of(c, be).to_f64())?,
            DType::U32 => map_chunks(d, file, what, |c: [u8; 4]| f64::from(u32_of(c, be)))?,
            DType::I32 => map_chunks(d, file, what, |c: [u8; 4]| f64::from(u32_of(c, be) as i32))?,
            DType::F32 => map_chunks(d, file, what, |c: [u8; 4]| {
                f64::from(f32::from_bits(u32_of(c, be)))
            })?,
            DType::U64 => map_chunks(d, file, what, |c: [u8; 8]| u64_of(c, be) as f64)?,
            DType::I64 => map_chunks(d, file, what, |c: [u8; 8]| u64_of(c, be) as i64 as f64)?,
            DType::F64 => map_chunks(d, file, what, |c: [u8; 8]| f64::from_bits(u64_of(c, be)))?,
        })
    }

    /// Converts to an n-D f64 array in standard (C) layout.
    pub fn to_f64(&self, file: &str) -> Result<ArrayD<f64>, InputError> {
        self.check_conversion(file, 8, self.copies(), "f64")?;
        self.shaped(self.values_f64(file)?, file)
    }

    /// The values as f32 when that is exact (f32, f16, bf16), in the stored element order,
    /// after the memory check.
    fn values_f32(&self, file: &str) -> Option<Result<Vec<f32>, InputError>> {
        type Convert = fn(&[u8], bool, &str) -> Result<Vec<f32>, InputError>;
        const WHAT: &str = "the values as f32";
        let convert: Convert = match self.dtype {
            DType::F16 => {
                |d, be, file| map_chunks(d, file, WHAT, |c: [u8; 2]| f16_of(c, be).to_f32())
            }
            DType::BF16 => {
                |d, be, file| map_chunks(d, file, WHAT, |c: [u8; 2]| bf16_of(c, be).to_f32())
            }
            DType::F32 => {
                |d, be, file| map_chunks(d, file, WHAT, |c: [u8; 4]| f32::from_bits(u32_of(c, be)))
            }
            _ => return None,
        };
        Some(
            self.check_conversion(file, 4, self.copies(), "f32")
                .and_then(|()| convert(&self.data, self.big_endian, file)),
        )
    }

    /// Converts to an n-D f32 array in standard (C) layout when that is exact (f32, f16,
    /// bf16); None for other element types.
    pub fn to_f32(&self, file: &str) -> Option<Result<ArrayD<f32>, InputError>> {
        let values = self.values_f32(file)?;
        Some(values.and_then(|v| self.shaped(v, file)))
    }

    /// Values in the stored element order shaped as the array, in standard (C) layout.
    fn shaped<T: Clone>(&self, values: Vec<T>, file: &str) -> Result<ArrayD<T>, InputError> {
        let shape = IxDyn(&self.shape);
        let built = if self.fortran_order {
            ArrayD::from_shape_vec(shape.f(), values)
        } else {
            ArrayD::from_shape_vec(shape, values)
        };
        let arr = built.map_err(|e| InputError::Malformed {
            file: file.to_string(),
            format: "array",
            detail: format!(
                "shape {} does not fit the data: {e}",
                fmt_shape(&self.shape)
            ),
        })?;
        if self.fortran_order && arr.ndim() > 1 {
            Ok(arr.as_standard_layout().into_owned())
        } else {
            Ok(arr)
        }
    }

    /// Converts to integer labels (i64) in C order; floats must be finite and integral.
    ///
    /// A label outside the i64 range (a u64 above 2^63 − 1, a float of magnitude 2^63 or
    /// more) is [`InputError::LabelOutOfRange`]; NaN, ±inf and fractions are
    /// [`InputError::NotInteger`].
    pub fn to_labels(&self, file: &str) -> Result<Vec<i64>, InputError> {
        self.check_conversion(file, 8, self.copies(), "i64 labels")?;
        let not_int = |index: usize, value: String| InputError::NotInteger {
            file: file.to_string(),
            index,
            value,
        };
        let out_of_range = |index: usize, value: String| InputError::LabelOutOfRange {
            file: file.to_string(),
            index,
            value,
        };
        let be = self.big_endian;
        let what = "the labels";
        let labels: Vec<i64> = match self.dtype {
            DType::U64 => {
                let raw = map_chunks(&self.data, file, what, |c: [u8; 8]| u64_of(c, be))?;
                if let Some(i) = raw.iter().position(|&v| i64::try_from(v).is_err()) {
                    return Err(out_of_range(i, raw[i].to_string()));
                }
                raw.into_iter().map(|v| v as i64).collect()
            }
            DType::I64 => map_chunks(&self.data, file, what, |c: [u8; 8]| u64_of(c, be) as i64)?,
            dt if dt.is_float() => {
                let vals = self.values_f64(file)?;
                // 2^63 as f64; values in [-2^63, 2^63) convert exactly.
                const LIM: f64 = 9_223_372_036_854_775_808.0;
                for (i, &v) in vals.iter().enumerate() {
                    if !v.is_finite() || v.fract() != 0.0 {
                        return Err(not_int(i, format!("{v}")));
                    }
                    if !(-LIM..LIM).contains(&v) {
                        return Err(out_of_range(i, format!("{v}")));
                    }
                }
                vals.into_iter().map(|v| v as i64).collect()
            }
            // Every remaining integer type fits in f64 exactly.
            _ => self
                .values_f64(file)?
                .into_iter()
                .map(|v| v as i64)
                .collect(),
        };
        if self.fortran_order && self.shape.len() > 1 {
            let arr = ArrayD::from_shape_vec(IxDyn(&self.shape).f(), labels).map_err(|e| {
                InputError::Malformed {
                    file: file.to_string(),
                    format: "array",
                    detail: e.to_string(),
                }
            })?;
            Ok(arr.iter().copied().collect())
        } else {
            Ok(labels)
        }
    }
}

/// The `N`-byte elements of `d` converted by `f`, in a vector allocated after the memory
/// check ([`vec_for`]; `what` names it in the message).
fn map_chunks<const N: usize, T>(
    d: &[u8],
    file: &str,
    what: &str,
    f: impl Fn([u8; N]) -> T,
) -> Result<Vec<T>, InputError> {
    let (chunks, _rest) = d.as_chunks::<N>();
    let mut out = vec_for(file, what, chunks.len())?;
    out.extend(chunks.iter().map(|c| f(*c)));
    Ok(out)
}

pub(super) fn u16_of(c: [u8; 2], be: bool) -> u16 {
    if be {
        u16::from_be_bytes(c)
    } else {
        u16::from_le_bytes(c)
    }
}

pub(super) fn u32_of(c: [u8; 4], be: bool) -> u32 {
    if be {
        u32::from_be_bytes(c)
    } else {
        u32::from_le_bytes(c)
    }
}

pub(super) fn u64_of(c: [u8; 8], be: bool) -> u64 {
    if be {
        u64::from_be_bytes(c)
    } else {
        u64::from_le_bytes(c)
    }
}

/// An IEEE binary16 element from its two bytes.
pub(super) fn f16_of(c: [u8; 2], be: bool) -> f16 {
    f16::from_bits(u16_of(c, be))
}

/// A bfloat16 element from its two bytes.
pub(super) fn bf16_of(c: [u8; 2], be: bool) -> bf16 {
    bf16::from_bits(u16_of(c, be))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written binary16 decoder the readers used before the `half` crate, kept as
    /// the oracle: (−1)^s · m · 2^−24 for subnormals, (−1)^s · (1024 + m) · 2^(e−25) for
    /// normal numbers, ±inf and NaN for e = 31.
    fn f16_oracle(bits: u16) -> f64 {
        let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
        let exp = i32::from((bits >> 10) & 0x1f);
        let mant = f64::from(bits & 0x3ff);
        let mag = match exp {
            0 => mant * 2f64.powi(-24),
            31 if mant == 0.0 => f64::INFINITY,
            31 => f64::NAN,
            _ => (1024.0 + mant) * 2f64.powi(exp - 25),
        };
        sign * mag
    }

    /// The former bfloat16 decoder (the upper half of an f32), kept as the oracle.
    fn bf16_oracle(bits: u16) -> f64 {
        f64::from(f32::from_bits(u32::from(bits) << 16))
    }

    /// Every 16-bit pattern, decoded as `dtype` through [`RawArray`] in the given byte
    /// order: (as f64, as f32).
    fn decode_all(dtype: DType, big_endian: bool) -> (Vec<f64>, Vec<f32>) {
        let data: Vec<u8> = (0..=u16::MAX)
            .flat_map(|b| {
                if big_endian {
                    b.to_be_bytes()
                } else {
                    b.to_le_bytes()
                }
            })
            .collect();
        let raw = RawArray {
            shape: vec![1 << 16],
            dtype,
            big_endian,
            fortran_order: false,
            data: Cow::Owned(data),
        };
        let f64s = raw.to_f64("t").expect("f64").into_iter().collect();
        let f32s = raw
            .to_f32("t")
            .expect("half types decode to f32")
            .expect("f32")
            .into_iter()
            .collect();
        (f64s, f32s)
    }

    /// Checks `got` against the oracle for all 65,536 patterns: bit for bit, except that
    /// a NaN only has to be a NaN (payloads differ: the crate quiets signalling NaNs and
    /// keeps the sign). Returns the number of NaN patterns.
    fn assert_matches(name: &str, got: &[f64], got32: &[f32], oracle: fn(u16) -> f64) -> usize {
        let mut nans = 0;
        for bits in 0..=u16::MAX {
            let (want, g, g32) = (oracle(bits), got[bits as usize], got32[bits as usize]);
            if want.is_nan() {
                nans += 1;
                assert!(g.is_nan() && g32.is_nan(), "{name} {bits:#06x}: {g} {g32}");
            } else {
                assert_eq!(g.to_bits(), want.to_bits(), "{name} {bits:#06x} as f64");
                assert_eq!(
                    g32.to_bits(),
                    (want as f32).to_bits(),
                    "{name} {bits:#06x} as f32"
                );
            }
        }
        nans
    }

    #[test]
    fn half_types_decode_exactly_for_every_bit_pattern() {
        for be in [false, true] {
            let (h, h32) = decode_all(DType::F16, be);
            // 2 signs × (2^10 − 1) non-zero mantissas with exponent 31.
            assert_eq!(assert_matches("f16", &h, &h32, f16_oracle), 2 * 1023);
            let (b, b32) = decode_all(DType::BF16, be);
            assert_eq!(assert_matches("bf16", &b, &b32, bf16_oracle), 2 * 127);
        }
        // The crate's software path (never F16C/FP16 intrinsics) agrees as well.
        for bits in 0..=u16::MAX {
            let (want, got) = (f16_oracle(bits), f16::from_bits(bits).to_f64_const());
            assert!(want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()));
            let (want, got) = (bf16_oracle(bits), bf16::from_bits(bits).to_f64_const());
            assert!(want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()));
        }
    }

    #[test]
    fn f16_and_bf16_conversion() {
        let (h, _) = decode_all(DType::F16, false);
        let (b, _) = decode_all(DType::BF16, false);
        let f16 = |bits: u16| h[bits as usize];
        let bf16 = |bits: u16| b[bits as usize];
        assert_eq!(f16(0x3c00), 1.0);
        assert_eq!(f16(0xc000), -2.0);
        assert_eq!(f16(0x7bff), 65504.0);
        assert_eq!(f16(0x0001), 2f64.powi(-24));
        assert_eq!(f16(0x0400), 2f64.powi(-14));
        assert_eq!(f16(0x3555), 0.333_251_953_125);
        assert_eq!(f16(0x7c00), f64::INFINITY);
        assert_eq!(f16(0xfc00), f64::NEG_INFINITY);
        assert!(f16(0x7e00).is_nan());
        assert_eq!(f16(0x8000).to_bits(), (-0.0f64).to_bits());
        assert_eq!(bf16(0x3f80), 1.0);
        assert_eq!(bf16(0xc0a0), -5.0);
        assert_eq!(bf16(0x3e20), 0.15625);
    }
}
