//! The exam sections the EHR accepts, their fields, and each field's rule.

use serde_json::{Map, Value};

use super::rules::Rule;
use crate::error::FieldError;

/// One EHR exam field.
#[derive(Debug)]
pub(crate) struct Field {
    /// The canonical EHR field name.
    pub name: &'static str,
    pub rule: Rule,
}

/// One exam section, written by `PUT /api/v1/encounters/{id}/exam/{section}`.
#[derive(Debug)]
pub(crate) struct Section {
    pub name: &'static str,
    pub fields: &'static [Field],
}

const fn f(name: &'static str, rule: Rule) -> Field {
    Field { name, rule }
}

const TEXT_200: Rule = Rule::Text { max: 200 };
const TEXT_500: Rule = Rule::Text { max: 500 };
const TEXT_1000: Rule = Rule::Text { max: 1000 };
const TEXT_4000: Rule = Rule::Text { max: 4000 };
const SPHERE: Rule = Rule::Quarter {
    min: -30.0,
    max: 30.0,
};
const CYLINDER: Rule = Rule::Quarter {
    min: -15.0,
    max: 15.0,
};
const ADD: Rule = Rule::Quarter { min: 0.0, max: 4.0 };
const AXIS: Rule = Rule::Int { min: 0, max: 180 };
const IOP: Rule = Rule::Int { min: 0, max: 80 };
const CD_RATIO: Rule = Rule::Num { min: 0.0, max: 1.0 };

/// Every section, in the order a comprehensive exam is charted.
pub(crate) static SECTIONS: &[Section] = &[
    Section {
        name: "history",
        fields: &[f("chiefComplaint", TEXT_500), f("hpi", TEXT_4000)],
    },
    Section {
        name: "visual-acuity",
        fields: &[
            f("distScOd", Rule::Acuity),
            f("distScOs", Rule::Acuity),
            f("distScOu", Rule::Acuity),
            f("distCcOd", Rule::Acuity),
            f("distCcOs", Rule::Acuity),
            f("distCcOu", Rule::Acuity),
            f("nearCcOd", Rule::Acuity),
            f("nearCcOs", Rule::Acuity),
            f("nearCcOu", Rule::Acuity),
        ],
    },
    Section {
        name: "refraction",
        fields: &[
            f("mrxOdSphere", SPHERE),
            f("mrxOdCylinder", CYLINDER),
            f("mrxOdAxis", AXIS),
            f("mrxOdAdd", ADD),
            f("mrxOsSphere", SPHERE),
            f("mrxOsCylinder", CYLINDER),
            f("mrxOsAxis", AXIS),
            f("mrxOsAdd", ADD),
        ],
    },
    Section {
        name: "iop",
        fields: &[
            f("iopOd", IOP),
            f("iopOs", IOP),
            f(
                "iopMethod",
                Rule::Choice(&["Goldmann", "iCare", "NCT", "Tonopen"]),
            ),
            f("iopTime", Rule::ClockTime),
        ],
    },
    Section {
        name: "pupils",
        fields: &[f("pupils", TEXT_200)],
    },
    Section {
        name: "slit-lamp",
        fields: &[
            f("odLids", TEXT_1000),
            f("odConjunctiva", TEXT_1000),
            f("odCornea", TEXT_1000),
            f("odAnteriorChamber", TEXT_1000),
            f("odIris", TEXT_1000),
            f("odLens", TEXT_1000),
            f("osLids", TEXT_1000),
            f("osConjunctiva", TEXT_1000),
            f("osCornea", TEXT_1000),
            f("osAnteriorChamber", TEXT_1000),
            f("osIris", TEXT_1000),
            f("osLens", TEXT_1000),
        ],
    },
    Section {
        name: "fundus",
        fields: &[
            f("odCdRatio", CD_RATIO),
            f("osCdRatio", CD_RATIO),
            f("odDisc", TEXT_1000),
            f("odMacula", TEXT_1000),
            f("odVessels", TEXT_1000),
            f("odPeriphery", TEXT_1000),
            f("odVitreous", TEXT_1000),
            f("osDisc", TEXT_1000),
            f("osMacula", TEXT_1000),
            f("osVessels", TEXT_1000),
            f("osPeriphery", TEXT_1000),
            f("osVitreous", TEXT_1000),
        ],
    },
    Section {
        name: "vitals",
        fields: &[
            f("bpSystolic", Rule::Int { min: 0, max: 300 }),
            f("bpDiastolic", Rule::Int { min: 0, max: 200 }),
            f("pulse", Rule::Int { min: 0, max: 300 }),
            f(
                "tempF",
                Rule::Num {
                    min: 86.0,
                    max: 113.0,
                },
            ),
            f(
                "heightIn",
                Rule::Num {
                    min: 0.0,
                    max: 120.0,
                },
            ),
            f(
                "weightLb",
                Rule::Num {
                    min: 0.0,
                    max: 1500.0,
                },
            ),
        ],
    },
    Section {
        name: "assessment-plan",
        fields: &[f("assessment", TEXT_4000), f("plan", TEXT_4000)],
    },
];

/// The section called `name`, if the EHR has one.
pub(crate) fn find(name: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.name == name)
}

/// Every canonical field name, section by section: what the comprehensive template accepts.
pub(crate) fn all_field_names() -> Vec<&'static str> {
    SECTIONS
        .iter()
        .flat_map(|s| s.fields.iter().map(|f| f.name))
        .collect()
}

/// The name the EHR currently uses for a canonical field: while the `TemplateChanged`
/// fault is active, the IOP readings carry their unit in the name.
pub(crate) fn current_name(canonical: &'static str, template_changed: bool) -> &'static str {
    match (canonical, template_changed) {
        ("iopOd", true) => "iopOdMmHg",
        ("iopOs", true) => "iopOsMmHg",
        _ => canonical,
    }
}

/// Why a section write was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Field names the section or the template does not know.
    UnknownFields(Vec<FieldError>),
    /// Known fields with bad values.
    Invalid(Vec<FieldError>),
}

impl Section {
    /// Checks a section body against this section, the encounter's template (canonical
    /// names it accepts) and the current naming. Unknown names are reported before bad
    /// values: a client sending the wrong names has a mapping problem, not a data problem.
    pub fn check(
        &self,
        body: &Map<String, Value>,
        template_fields: &[&'static str],
        template_id: &str,
        template_changed: bool,
    ) -> Result<(), Refusal> {
        let mut unknown = Vec::new();
        let mut invalid = Vec::new();
        for (name, value) in body {
            let field = self
                .fields
                .iter()
                .find(|f| current_name(f.name, template_changed) == name);
            match field {
                None => unknown.push(FieldError::new(name, format!("Unknown field {name}"))),
                Some(field) if !template_fields.contains(&field.name) => {
                    unknown.push(FieldError::new(
                        name,
                        format!("Field {name} is not part of template {template_id}"),
                    ))
                }
                Some(field) => {
                    if let Err(message) = field.rule.check(value) {
                        invalid.push(FieldError::new(name, message));
                    }
                }
            }
        }
        if !unknown.is_empty() {
            Err(Refusal::UnknownFields(unknown))
        } else if !invalid.is_empty() {
            Err(Refusal::Invalid(invalid))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    // Field names are unique across sections, so a template can list them flat.
    #[test]
    fn field_names_are_unique() {
        let mut names = all_field_names();
        let total = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), total);
    }

    // With the template changed, the old IOP names are unknown and the new ones work.
    #[test]
    fn template_change_renames_iop_fields() {
        let iop = find("iop").unwrap();
        let all = all_field_names();
        assert!(iop
            .check(&body(json!({"iopOd": 14})), &all, "T-COMP", false)
            .is_ok());
        assert!(matches!(
            iop.check(&body(json!({"iopOd": 14})), &all, "T-COMP", true),
            Err(Refusal::UnknownFields(e)) if e[0].message == "Unknown field iopOd"
        ));
        assert!(iop
            .check(&body(json!({"iopOdMmHg": 14})), &all, "T-COMP", true)
            .is_ok());
    }

    // A field outside the encounter's template is refused as unknown.
    #[test]
    fn template_limits_fields() {
        let iop = find("iop").unwrap();
        let brief = ["iopOd", "iopOs"];
        assert!(iop
            .check(&body(json!({"iopOd": 14})), &brief, "T-BRIEF", false)
            .is_ok());
        assert!(matches!(
            iop.check(&body(json!({"iopMethod": "NCT"})), &brief, "T-BRIEF", false),
            Err(Refusal::UnknownFields(_))
        ));
    }
}
