//! The length of a value's compact JSON (`serde_json::to_vec`), computed by walking the
//! value without writing any of it: how a call's answer is measured against the output
//! limit on every call without serialising it (an allocation and a copy of the whole
//! answer, only to read its length).
//!
//! Exact for everything serde_json writes; a map key that is not a string counts its
//! quotes too, as serde_json writes it.

use serde::ser::{self, Serialize};

/// The length in bytes of `value` as compact JSON, or `usize::MAX` when serde_json could
/// not write it either (a custom `Serialize` that fails).
pub fn json_len<T: Serialize + ?Sized>(value: &T) -> usize {
    let mut size = Size {
        n: 0,
        string: false,
    };
    match value.serialize(&mut size) {
        Ok(()) => size.n,
        Err(_) => usize::MAX,
    }
}

/// How many bytes `s` takes as a JSON string, quotes included (serde_json's escapes:
/// `\"`, `\\`, the short forms of five control characters, `\u00XX` for the rest).
pub fn str_len(s: &str) -> usize {
    let mut n = s.len() + 2;
    for &b in s.as_bytes() {
        n += match b {
            b'"' | b'\\' | b'\x08' | b'\x0c' | b'\n' | b'\r' | b'\t' => 1,
            0..=0x1f => 5,
            _ => 0,
        };
    }
    n
}

/// Decimal digits of `v`.
fn digits(mut v: u128) -> usize {
    let mut n = 1;
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

fn signed(v: i128) -> usize {
    digits(v.unsigned_abs()) + usize::from(v < 0)
}

/// The running count; `string` says whether the last value was a JSON string (how a map
/// key learns whether serde_json would quote it).
struct Size {
    n: usize,
    string: bool,
}

/// A value that cannot be written as JSON (a custom `Serialize` said so).
#[derive(Debug)]
pub struct Unwritable(String);

impl std::fmt::Display for Unwritable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unwritable {}

impl ser::Error for Unwritable {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Unwritable(msg.to_string())
    }
}

type R = Result<(), Unwritable>;

impl Size {
    fn add(&mut self, n: usize) -> R {
        self.n += n;
        self.string = false;
        Ok(())
    }

    fn string(&mut self, s: &str) -> R {
        self.n += str_len(s);
        self.string = true;
        Ok(())
    }

    /// A sequence, map or struct opened with `open` bytes and closed with `close`.
    fn compound(&mut self, open: usize, close: usize) -> Compound<'_> {
        self.n += open;
        Compound {
            size: self,
            first: true,
            close,
        }
    }

    /// `{"variant":` before a value wrapped in its variant's name (closed by `}`).
    fn open_variant(&mut self, variant: &str) {
        self.n += 1 + str_len(variant) + 1;
    }
}

/// A sequence, map or struct being walked: `first` says whether a comma is due.
struct Compound<'a> {
    size: &'a mut Size,
    first: bool,
    /// Bytes that close it: `]` or `}`, and `}` again for a variant's wrapper.
    close: usize,
}

impl Compound<'_> {
    fn comma(&mut self) {
        if !self.first {
            self.size.n += 1;
        }
        self.first = false;
    }

    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.comma();
        v.serialize(&mut *self.size)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
        self.comma();
        self.size.n += str_len(key) + 1;
        v.serialize(&mut *self.size)
    }

    fn end(self) -> R {
        self.size.add(self.close)
    }
}

impl<'a> ser::Serializer for &'a mut Size {
    type Ok = ();
    type Error = Unwritable;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> R {
        self.add(if v { 4 } else { 5 })
    }
    fn serialize_i8(self, v: i8) -> R {
        self.add(signed(v.into()))
    }
    fn serialize_i16(self, v: i16) -> R {
        self.add(signed(v.into()))
    }
    fn serialize_i32(self, v: i32) -> R {
        self.add(signed(v.into()))
    }
    fn serialize_i64(self, v: i64) -> R {
        self.add(signed(v.into()))
    }
    fn serialize_i128(self, v: i128) -> R {
        self.add(signed(v))
    }
    fn serialize_u8(self, v: u8) -> R {
        self.add(digits(v.into()))
    }
    fn serialize_u16(self, v: u16) -> R {
        self.add(digits(v.into()))
    }
    fn serialize_u32(self, v: u32) -> R {
        self.add(digits(v.into()))
    }
    fn serialize_u64(self, v: u64) -> R {
        self.add(digits(v.into()))
    }
    fn serialize_u128(self, v: u128) -> R {
        self.add(digits(v))
    }
    fn serialize_f32(self, v: f32) -> R {
        // Rare in answers; serde_json's own shortest form is the only exact length.
        self.add(serde_json::to_vec(&v).map(|b| b.len()).unwrap_or(4))
    }
    fn serialize_f64(self, v: f64) -> R {
        self.add(serde_json::to_vec(&v).map(|b| b.len()).unwrap_or(4))
    }
    fn serialize_char(self, v: char) -> R {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> R {
        self.string(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> R {
        // serde_json writes bytes as an array of numbers.
        let numbers: usize = v.iter().map(|&b| digits(b.into())).sum();
        self.add(2 + numbers + v.len().saturating_sub(1))
    }
    fn serialize_none(self) -> R {
        self.add(4)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_unit(self) -> R {
        self.add(4)
    }
    fn serialize_unit_struct(self, _: &'static str) -> R {
        self.add(4)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> R {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> R {
        self.open_variant(variant);
        v.serialize(&mut *self)?;
        self.add(1)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Unwritable> {
        Ok(self.compound(1, 1))
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Unwritable> {
        Ok(self.compound(1, 1))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Unwritable> {
        Ok(self.compound(1, 1))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Unwritable> {
        self.open_variant(variant);
        Ok(self.compound(1, 2))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Unwritable> {
        Ok(self.compound(1, 1))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Unwritable> {
        Ok(self.compound(1, 1))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Unwritable> {
        self.open_variant(variant);
        Ok(self.compound(1, 2))
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.element(v)
    }
    fn end(self) -> R {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> R {
        self.element(key)?;
        // serde_json quotes a key that is a number or a bool.
        if !self.size.string {
            self.size.n += 2;
        }
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.size.n += 1;
        v.serialize(&mut *self.size)
    }
    fn end(self) -> R {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
        self.field(key, v)
    }
    fn end(self) -> R {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Unwritable;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
        self.field(key, v)
    }
    fn end(self) -> R {
        Compound::end(self)
    }
}

#[cfg(test)]
#[path = "json_size_tests.rs"]
mod tests;
