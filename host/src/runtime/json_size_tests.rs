//! `json_len` against serde_json's own output, over the answers calls return and over
//! every shape serde has.

use super::json_len;
use crate::runtime::bindings::latest::{
    AdapterError, FieldError, FieldResult, FieldStatus, FieldWarning, Notice, NoticeKind,
    Rejection, SkipReason, WarningKind, WriteResult,
};
use crate::runtime::bindings::Answer;
use serde::Serialize;
use std::collections::BTreeMap;

fn same<T: Serialize>(v: &T) {
    let json = serde_json::to_vec(v).unwrap();
    assert_eq!(
        json_len(v),
        json.len(),
        "walked length differs from {}",
        String::from_utf8_lossy(&json[..json.len().min(400)])
    );
}

/// Text with every kind of escape, multi-byte characters and an emoji.
const AWKWARD: &str = "a \"quoted\" \\ back\nslash\r\t\x08\x0c\x01\x1f\x7f é 中 🦀";

#[test]
fn write_answers_measure_exactly() {
    let result = WriteResult {
        record_id: Some(AWKWARD.to_string()),
        replayed: false,
        fields: vec![
            FieldResult {
                field: "exam.iop".into(),
                status: FieldStatus::Written,
                target: Some("iop.od".into()),
                warnings: vec![FieldWarning {
                    kind: WarningKind::Rounded,
                    message: "14.25 → 14".into(),
                }],
            },
            FieldResult {
                field: "exam.va".into(),
                status: FieldStatus::Skipped((SkipReason::NoMapping, AWKWARD.into())),
                target: None,
                warnings: vec![],
            },
        ],
        notices: vec![Notice {
            kind: NoticeKind::TemplateDiffers,
            message: String::new(),
        }],
    };
    same(&Answer::Write(Ok(result)));
    same(&Answer::Write(Err(AdapterError::Rejected(Rejection {
        code: None,
        message: AWKWARD.into(),
        field_errors: vec![FieldError {
            field: "f".into(),
            message: "m".into(),
        }],
    }))));
    same(&Answer::Check(Err(AdapterError::Timeout("slow".into()))));
    same(&Answer::Staff(Ok(vec![])));
}

#[derive(Serialize)]
enum Shapes {
    Unit,
    Tuple(i64, u8, String),
    Struct { a: Option<u32>, b: Vec<bool> },
    New(BTreeMap<u32, String>),
}

#[derive(Serialize)]
struct Everything {
    small: i8,
    min: i64,
    max: u64,
    wide: u128,
    negative: i128,
    float: f64,
    tiny: f32,
    nan: f64,
    letter: char,
    quote: char,
    #[serde(with = "serde_bytes_like")]
    bytes: Vec<u8>,
    unit: (),
    nothing: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<String>,
    shapes: Vec<Shapes>,
    keys: BTreeMap<String, serde_json::Value>,
    bool_keys: BTreeMap<bool, i32>,
    tuple: (u16, &'static str),
}

/// Serialises a byte vector with `serialize_bytes`, as `serde_bytes` would.
mod serde_bytes_like {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }
}

#[test]
fn every_serde_shape_measures_exactly() {
    let mut map = BTreeMap::new();
    map.insert(7, "seven".to_string());
    map.insert(1000, AWKWARD.to_string());
    let mut keys = BTreeMap::new();
    keys.insert(
        AWKWARD.to_string(),
        serde_json::json!([1, -2.5, null, {"x": "y"}]),
    );
    keys.insert(String::new(), serde_json::json!({}));
    let mut bool_keys = BTreeMap::new();
    bool_keys.insert(true, -1);
    bool_keys.insert(false, 0);
    same(&Everything {
        small: -128,
        min: i64::MIN,
        max: u64::MAX,
        wide: u128::MAX,
        negative: i128::MIN + 1,
        float: 1234.5e-7,
        tiny: 0.1,
        nan: f64::NAN,
        letter: '中',
        quote: '"',
        bytes: vec![0, 9, 10, 99, 100, 255],
        unit: (),
        nothing: None,
        skipped: None,
        shapes: vec![
            Shapes::Unit,
            Shapes::Tuple(-1, 0, AWKWARD.into()),
            Shapes::Struct {
                a: Some(0),
                b: vec![true, false],
            },
            Shapes::Struct { a: None, b: vec![] },
            Shapes::New(map),
            Shapes::New(BTreeMap::new()),
        ],
        keys,
        bool_keys,
        tuple: (65535, ""),
    });
    same(&Vec::<u8>::new());
    same(&"");
}

#[test]
fn a_large_answer_measures_exactly() {
    let fields = (0..10_000)
        .map(|i| FieldResult {
            field: format!("huge.{i}"),
            status: FieldStatus::Written,
            target: Some("x".repeat(64)),
            warnings: vec![],
        })
        .collect();
    same(&Answer::Write(Ok(WriteResult {
        record_id: None,
        replayed: true,
        fields,
        notices: vec![],
    })));
}
