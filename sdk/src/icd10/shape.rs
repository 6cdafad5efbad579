//! Shaping a diagnosis list for one EHR: the codes in the EHR's form, duplicates merged,
//! descriptions made to fit. Adapters call it through `Plan::shape_diagnoses`.

use crate::text::NonAscii;
use crate::{Diagnosis, FieldWarning, Laterality, WarningKind};

/// What the EHR's diagnosis columns take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiagnosisRules<'a> {
    /// The EHR's name, for messages.
    pub ehr: &'a str,
    /// Codes are stored with the dot (`H40.1131`) or without (`H401131`).
    pub dotted: bool,
    /// The description column's length, in characters.
    pub description_max: usize,
    /// Descriptions must be ASCII (normalised and transliterated; see [`crate::text`]).
    pub ascii: bool,
    /// How many diagnoses may be primary (EHRs take at most one).
    pub max_primary: usize,
}

/// A diagnosis list ready to write, and the warnings for its report line.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapedDiagnoses {
    /// The list, in snapshot order, each code canonical and each description fitted.
    pub list: Vec<Diagnosis>,
    /// What changed on the way (duplicates merged, characters replaced, descriptions cut).
    pub warnings: Vec<FieldWarning>,
}

fn eye(l: Laterality) -> &'static str {
    match l {
        Laterality::Right => "right eye",
        Laterality::Left => "left eye",
        Laterality::Both => "both eyes",
        Laterality::NotApplicable => "no eye",
    }
}

/// Shapes `list` by `rules`, or says why the EHR cannot take it as a whole.
pub(crate) fn shape(
    list: &[Diagnosis],
    rules: &DiagnosisRules,
    non_ascii: &NonAscii,
) -> Result<ShapedDiagnoses, String> {
    let mut out: Vec<Diagnosis> = Vec::with_capacity(list.len());
    let mut warnings = Vec::new();
    let mut cut = Vec::new();
    for d in list {
        let canonical = super::normalize(&d.code)
            .ok_or_else(|| format!("`{}` is not an ICD-10-CM code", d.code.trim()))?;
        let code = if rules.dotted {
            canonical.clone()
        } else {
            canonical.replace('.', "")
        };
        if let Some(first) = out
            .iter_mut()
            .find(|o| o.code == code && o.laterality == d.laterality)
        {
            first.primary |= d.primary;
            warnings.push(FieldWarning {
                kind: WarningKind::Other,
                message: format!(
                    "{canonical} ({}) was listed more than once; written once",
                    eye(d.laterality)
                ),
            });
            continue;
        }
        let mut description = d.description.trim().to_string();
        if rules.ascii {
            let a = crate::text::to_ascii(&description, non_ascii)
                .map_err(|reason| format!("the description of {canonical} {reason}"))?;
            if let Some(mut w) = a.warning() {
                w.message = format!("description of {canonical}: {}", w.message);
                warnings.push(w);
            }
            description = a.text;
        }
        if description.chars().count() > rules.description_max {
            description = description.chars().take(rules.description_max).collect();
            cut.push(canonical);
        }
        out.push(Diagnosis {
            code,
            description,
            laterality: d.laterality,
            primary: d.primary,
        });
    }
    let primaries = out.iter().filter(|d| d.primary).count();
    if primaries > rules.max_primary {
        return Err(format!(
            "{primaries} diagnoses are marked primary; {} accepts at most {}",
            rules.ehr, rules.max_primary
        ));
    }
    if !cut.is_empty() {
        warnings.push(FieldWarning {
            kind: WarningKind::Truncated,
            message: format!(
                "the description of {} was cut to {} characters to fit {}",
                cut.join(", "),
                rules.description_max,
                rules.ehr
            ),
        });
    }
    Ok(ShapedDiagnoses {
        list: out,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: &str, description: &str, l: Laterality, primary: bool) -> Diagnosis {
        Diagnosis {
            code: code.into(),
            description: description.into(),
            laterality: l,
            primary,
        }
    }

    const RULES: DiagnosisRules = DiagnosisRules {
        ehr: "TestEHR",
        dotted: true,
        description_max: 20,
        ascii: true,
        max_primary: 1,
    };

    // Codes are normalised (case, dot), a duplicate (same code and eye) is written once
    // with a warning, another eye is not a duplicate, descriptions become ASCII and fit.
    #[test]
    fn shapes_a_list() {
        let list = [
            d("h251 3", "x", Laterality::Both, false),
            d("h2513", "Catarata nuclear", Laterality::Both, true),
            d("H25.13", "again", Laterality::Both, false),
            d("U07.1", "COVID-19", Laterality::NotApplicable, false),
            d(
                "H40.1131",
                "Glaucome à angle ouvert",
                Laterality::Right,
                false,
            ),
            d("H401131", "same code, other eye", Laterality::Left, false),
        ];
        // A space inside a code is not a code at all.
        assert!(shape(&list, &RULES, &NonAscii::Refuse)
            .unwrap_err()
            .contains("`h251 3`"));
        let s = shape(&list[1..], &RULES, &NonAscii::Refuse).unwrap();
        let codes: Vec<&str> = s.list.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["H25.13", "U07.1", "H40.1131", "H40.1131"]);
        assert_eq!(s.list[2].description, "Glaucome a angle ouv");
        let kinds: Vec<WarningKind> = s.warnings.iter().map(|w| w.kind).collect();
        assert_eq!(
            kinds,
            [
                WarningKind::Other,
                WarningKind::CharactersReplaced,
                WarningKind::Truncated
            ]
        );
        assert!(
            s.warnings[0].message.contains("H25.13 (both eyes)"),
            "{:?}",
            s.warnings
        );
        let undotted = DiagnosisRules {
            dotted: false,
            ..RULES
        };
        let s = shape(&list[4..5], &undotted, &NonAscii::Refuse).unwrap();
        assert_eq!(s.list[0].code, "H401131");
    }

    // Lists the EHR cannot take whole: two primaries, a description with no ASCII form.
    #[test]
    fn refuses_what_cannot_be_written_whole() {
        let two = [
            d("H25.13", "a", Laterality::Both, true),
            d("E11.9", "b", Laterality::NotApplicable, true),
        ];
        assert!(shape(&two, &RULES, &NonAscii::Refuse)
            .unwrap_err()
            .contains("2 diagnoses"));
        let cjk = [d("H25.13", "白内障", Laterality::Both, true)];
        let e = shape(&cjk, &RULES, &NonAscii::Refuse).unwrap_err();
        assert!(e.contains("H25.13") && e.contains("CJK"), "{e}");
        let marked = shape(&cjk, &RULES, &NonAscii::Marker("?".into())).unwrap();
        assert_eq!(marked.list[0].description, "???");
    }
}
