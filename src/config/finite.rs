//! A generic check that every floating-point value of a configuration is finite.
//!
//! The configuration is serialised into a [`serde::Serializer`] that looks only at `f32`/`f64`
//! values and keeps the path of keys and indices that leads to each, so every float field of
//! every section (and of every section added later) is covered without a list to keep up to
//! date. A NaN threshold compares false with everything (it silently turns a verdict signal
//! off), and NaN or ±∞ cannot be written to strict JSON (`run.json` would hold `null`).

use serde::ser::{self, Serialize};
use std::fmt;

/// The dotted path (`verdict.complete_effective_rank`, `info.scales[2]`) and the value of the
/// first NaN or infinite float in `value`, in serialisation order; `None` when all are finite.
pub fn first_non_finite<T: Serialize + ?Sized>(value: &T) -> Option<(String, f64)> {
    let mut walker = Walker::default();
    // The walk stops with `Err(Found)` at the first non-finite value; no other error exists.
    let _ = value.serialize(&mut walker);
    walker.found
}

enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Default)]
struct Walker {
    path: Vec<Segment>,
    found: Option<(String, f64)>,
}

impl Walker {
    fn path(&self) -> String {
        let mut out = String::new();
        for s in &self.path {
            match s {
                Segment::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    fn float(&mut self, v: f64) -> Result<(), Found> {
        if v.is_finite() {
            Ok(())
        } else {
            self.found = Some((self.path(), v));
            Err(Found)
        }
    }

    fn within<T: Serialize + ?Sized>(&mut self, seg: Segment, value: &T) -> Result<(), Found> {
        self.path.push(seg);
        let r = value.serialize(&mut *self);
        self.path.pop();
        r
    }
}

/// Stops the walk (not an error of the value).
#[derive(Debug)]
struct Found;

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-finite value")
    }
}

impl std::error::Error for Found {}

impl ser::Error for Found {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Found
    }
}

/// Sequences, tuples, maps and structs: each element under its index or key.
struct Compound<'a> {
    walker: &'a mut Walker,
    index: usize,
    key: Option<String>,
}

impl<'a> Compound<'a> {
    fn new(walker: &'a mut Walker) -> Self {
        Compound {
            walker,
            index: 0,
            key: None,
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        let i = self.index;
        self.index += 1;
        self.walker.within(Segment::Index(i), value)
    }
}

macro_rules! ignore {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(fn $name(self, _: $ty) -> Result<(), Found> { Ok(()) })*
    };
}

impl<'a> ser::Serializer for &'a mut Walker {
    type Ok = ();
    type Error = Found;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    ignore!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
        serialize_char: char,
        serialize_str: &str,
        serialize_bytes: &[u8],
        serialize_unit_struct: &'static str,
    );

    fn serialize_f32(self, v: f32) -> Result<(), Found> {
        self.float(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Found> {
        self.float(v)
    }
    fn serialize_none(self) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Found> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Found> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        self.within(Segment::Key(variant.to_string()), value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        self.element(value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        self.element(value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        self.element(value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        self.element(value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Found> {
        // Keys are named in the path as JSON writes them (strings bare).
        self.key = Some(match serde_json::to_value(key) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(_) => "?".into(),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        let key = self.key.take().unwrap_or_else(|| "?".into());
        self.walker.within(Segment::Key(key), value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        self.walker.within(Segment::Key(key.to_string()), value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        self.walker.within(Segment::Key(key.to_string()), value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Inner {
        a: f64,
        list: Vec<f32>,
        opt: Option<Vec<f64>>,
    }

    #[derive(Serialize)]
    struct Outer {
        n: u64,
        inner: Inner,
        pair: (f64, f64),
        map: BTreeMap<String, f64>,
    }

    fn outer() -> Outer {
        Outer {
            n: u64::MAX,
            inner: Inner {
                a: 1.0,
                list: vec![0.5, 2.0],
                opt: Some(vec![1.0]),
            },
            pair: (0.0, -0.0),
            map: BTreeMap::from([("x".to_string(), 3.0)]),
        }
    }

    #[test]
    fn finite_values_pass_and_each_non_finite_one_is_named_by_its_path() {
        assert_eq!(first_non_finite(&outer()), None);
        let mut o = outer();
        o.inner.a = f64::NAN;
        let (path, v) = first_non_finite(&o).unwrap();
        assert_eq!(path, "inner.a");
        assert!(v.is_nan());
        let mut o = outer();
        o.inner.list[1] = f32::INFINITY;
        assert_eq!(
            first_non_finite(&o),
            Some(("inner.list[1]".into(), f64::INFINITY))
        );
        let mut o = outer();
        o.inner.opt = Some(vec![1.0, f64::NEG_INFINITY]);
        assert_eq!(
            first_non_finite(&o),
            Some(("inner.opt[1]".into(), f64::NEG_INFINITY))
        );
        let mut o = outer();
        o.pair.1 = f64::INFINITY;
        assert_eq!(first_non_finite(&o).unwrap().0, "pair[1]");
        let mut o = outer();
        o.map.insert("y".into(), f64::NAN);
        assert_eq!(first_non_finite(&o).unwrap().0, "map.y");
    }
}
