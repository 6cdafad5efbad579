//! The snapshot document read strictly: a key that appears twice in one object is an
//! error naming the key and where it is, at any depth. JSON parsers (serde_json among
//! them) silently keep the last value, so `"iop.od": 17, "iop.od": 30` would write 30
//! without a word; clinical data must not change silently.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// `Err` naming the first repeated key (with its path, `fields.iop.od`), if any.
pub fn no_duplicate_keys(text: &str) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_str(text);
    Walk {
        path: String::new(),
    }
    .deserialize(&mut de)
    .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

/// Walks one JSON value at `path`, checking every object on the way.
struct Walk {
    path: String,
}

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Walk {
    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!(
                    "`{}` appears twice; each key may appear once (which value was meant?)",
                    self.at(&key)
                )));
            }
            map.next_value_seed(Walk {
                path: self.at(&key),
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while seq
            .next_element_seed(Walk {
                path: format!("{}[{i}]", self.path),
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Repeats are found at the top, inside `fields` and inside a list item, by path.
    #[test]
    fn repeats_are_named_by_path() {
        assert!(no_duplicate_keys(r#"{"a":1,"b":{"c":[{"d":1,"e":2}]}}"#).is_ok());
        let e = no_duplicate_keys(r#"{"fields":{"iop.od":17,"iop.od":30}}"#).unwrap_err();
        assert!(e.contains("`fields.iop.od` appears twice"), "{e}");
        let e = no_duplicate_keys(r#"{"job_id":"a","job_id":"b"}"#).unwrap_err();
        assert!(e.contains("`job_id` appears twice"), "{e}");
        let e = no_duplicate_keys(r#"{"fields":{"diagnoses":[{"code":"H1","code":"H2"}]}}"#)
            .unwrap_err();
        assert!(
            e.contains("`fields.diagnoses[0].code` appears twice"),
            "{e}"
        );
    }
}
