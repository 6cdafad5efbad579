//! The exam document's elements and the rule each enforces. Unlike RevolutionEHR, text is
//! stored as UTF-8 (any character), but the length limits differ, and the form has
//! keratometry and no vitals.

use serde_json::Value;

/// What one element accepts. Every element also accepts `null`, which clears it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rule {
    /// A string of at most `max` characters (Unicode scalar values, not bytes).
    Text { max: usize },
    /// A number in `min..=max`.
    Num { min: f64, max: f64 },
    /// An integer in `min..=max`.
    Int { min: i64, max: i64 },
}

impl Rule {
    /// Checks one value, answering the message for the field error if it is refused.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        if value.is_null() {
            return Ok(());
        }
        match *self {
            Rule::Text { max } => {
                let s = value.as_str().ok_or("must be a string")?;
                if s.chars().count() > max {
                    return Err(format!("must be at most {max} characters"));
                }
                Ok(())
            }
            Rule::Num { min, max } => match value.as_f64() {
                Some(n) if (min..=max).contains(&n) => Ok(()),
                _ => Err(format!("must be a number between {min} and {max}")),
            },
            Rule::Int { min, max } => match value.as_i64() {
                Some(n) if (min..=max).contains(&n) => Ok(()),
                _ => Err(format!("must be an integer between {min} and {max}")),
            },
        }
    }
}

/// Every element of the full exam form (`EXAM-3`), with its rule.
pub(crate) const ELEMENTS: &[(&str, Rule)] = &[
    ("CC", Rule::Text { max: 1000 }),
    ("HPI", Rule::Text { max: 8000 }),
    ("VA_DSC_OD", Rule::Text { max: 12 }),
    ("VA_DSC_OS", Rule::Text { max: 12 }),
    ("VA_DSC_OU", Rule::Text { max: 12 }),
    ("VA_DCC_OD", Rule::Text { max: 12 }),
    ("VA_DCC_OS", Rule::Text { max: 12 }),
    ("VA_DCC_OU", Rule::Text { max: 12 }),
    ("VA_NCC_OD", Rule::Text { max: 12 }),
    ("VA_NCC_OS", Rule::Text { max: 12 }),
    ("VA_NCC_OU", Rule::Text { max: 12 }),
    (
        "MRX_OD_SPH",
        Rule::Num {
            min: -30.0,
            max: 30.0,
        },
    ),
    (
        "MRX_OD_CYL",
        Rule::Num {
            min: -15.0,
            max: 15.0,
        },
    ),
    ("MRX_OD_AXIS", Rule::Int { min: 0, max: 180 }),
    ("MRX_OD_ADD", Rule::Num { min: 0.0, max: 4.0 }),
    (
        "MRX_OS_SPH",
        Rule::Num {
            min: -30.0,
            max: 30.0,
        },
    ),
    (
        "MRX_OS_CYL",
        Rule::Num {
            min: -15.0,
            max: 15.0,
        },
    ),
    ("MRX_OS_AXIS", Rule::Int { min: 0, max: 180 }),
    ("MRX_OS_ADD", Rule::Num { min: 0.0, max: 4.0 }),
    ("IOP_OD", Rule::Int { min: 0, max: 80 }),
    ("IOP_OS", Rule::Int { min: 0, max: 80 }),
    ("IOP_METHOD", Rule::Text { max: 20 }),
    ("IOP_TIME", Rule::Text { max: 5 }),
    (
        "K_OD_K1",
        Rule::Num {
            min: 30.0,
            max: 60.0,
        },
    ),
    (
        "K_OD_K2",
        Rule::Num {
            min: 30.0,
            max: 60.0,
        },
    ),
    ("K_OD_AXIS", Rule::Int { min: 0, max: 180 }),
    (
        "K_OS_K1",
        Rule::Num {
            min: 30.0,
            max: 60.0,
        },
    ),
    (
        "K_OS_K2",
        Rule::Num {
            min: 30.0,
            max: 60.0,
        },
    ),
    ("K_OS_AXIS", Rule::Int { min: 0, max: 180 }),
    ("PUPILS", Rule::Text { max: 250 }),
    ("SLE_OD_LIDS", Rule::Text { max: 500 }),
    ("SLE_OD_CONJ", Rule::Text { max: 500 }),
    ("SLE_OD_CORNEA", Rule::Text { max: 500 }),
    ("SLE_OD_AC", Rule::Text { max: 500 }),
    ("SLE_OD_IRIS", Rule::Text { max: 500 }),
    ("SLE_OD_LENS", Rule::Text { max: 500 }),
    ("SLE_OS_LIDS", Rule::Text { max: 500 }),
    ("SLE_OS_CONJ", Rule::Text { max: 500 }),
    ("SLE_OS_CORNEA", Rule::Text { max: 500 }),
    ("SLE_OS_AC", Rule::Text { max: 500 }),
    ("SLE_OS_IRIS", Rule::Text { max: 500 }),
    ("SLE_OS_LENS", Rule::Text { max: 500 }),
    ("DFE_OD_CD", Rule::Num { min: 0.0, max: 1.0 }),
    ("DFE_OD_DISC", Rule::Text { max: 500 }),
    ("DFE_OD_MACULA", Rule::Text { max: 500 }),
    ("DFE_OD_VESSELS", Rule::Text { max: 500 }),
    ("DFE_OD_PERIPHERY", Rule::Text { max: 500 }),
    ("DFE_OD_VITREOUS", Rule::Text { max: 500 }),
    ("DFE_OS_CD", Rule::Num { min: 0.0, max: 1.0 }),
    ("DFE_OS_DISC", Rule::Text { max: 500 }),
    ("DFE_OS_MACULA", Rule::Text { max: 500 }),
    ("DFE_OS_VESSELS", Rule::Text { max: 500 }),
    ("DFE_OS_PERIPHERY", Rule::Text { max: 500 }),
    ("DFE_OS_VITREOUS", Rule::Text { max: 500 }),
    ("ASSESSMENT", Rule::Text { max: 6000 }),
    ("PLAN", Rule::Text { max: 6000 }),
];

/// The longest note a document may carry, in characters.
pub(crate) const NOTE_MAX: usize = 4000;
/// The longest diagnosis text, in characters.
pub(crate) const DIAGNOSIS_TEXT_MAX: usize = 255;

/// Every canonical element id: what the full form accepts.
pub(crate) fn all_ids() -> Vec<&'static str> {
    ELEMENTS.iter().map(|(id, _)| *id).collect()
}

/// The rule of a canonical element id.
pub(crate) fn rule(id: &str) -> Option<Rule> {
    ELEMENTS.iter().find(|(e, _)| *e == id).map(|(_, r)| *r)
}

/// The id the EHR currently uses for a canonical element: while the `TemplateChanged`
/// fault is active, the IOP readings carry their unit in the id.
pub(crate) fn current_id(canonical: &'static str, changed: bool) -> &'static str {
    match (canonical, changed) {
        ("IOP_OD", true) => "IOP_OD_MMHG",
        ("IOP_OS", true) => "IOP_OS_MMHG",
        _ => canonical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Text limits count characters, so UTF-8 text is neither refused nor cut by bytes.
    #[test]
    fn text_counts_characters_not_bytes() {
        let r = Rule::Text { max: 3 };
        assert!(r.check(&json!("Núñ")).is_ok());
        assert!(r.check(&json!("Núñe")).is_err());
        assert!(rule("IOP_OD").unwrap().check(&json!(81)).is_err());
    }
}
