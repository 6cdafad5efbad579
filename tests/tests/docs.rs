//! The adapters' READMEs cannot drift from the adapters: their mapping tables are what
//! `ehr-host describe <component> --markdown` generates from the built components' own
//! `describe`.

use ehr_e2e::{root, TestHome};

fn generated_table(adapter: &str) -> String {
    let home = TestHome::new("");
    // Fails with the build command when the component is missing.
    let _ = ehr_e2e::component(adapter);
    let wasm = ehr_e2e::component_path(adapter);
    let (code, out, err) = home.cli(&["describe", wasm.to_str().unwrap(), "--markdown"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("| catalog field |"), "{out}");
    out
}

fn readme(adapter: &str) -> String {
    std::fs::read_to_string(root().join(format!("adapters/{adapter}/README.md"))).unwrap()
}

// The revolution README holds exactly the table its component generates.
#[test]
fn revolution_readme_table_is_generated() {
    let table = generated_table("revolution");
    assert!(
        readme("revolution").contains(&table),
        "adapters/revolution/README.md is out of date; regenerate its table with:\n\
         ehr-host describe target/wasm32-wasip2/release/revolution.wasm --markdown\n\n{table}"
    );
}

// The eyefinity README holds exactly the table its component generates.
#[test]
fn eyefinity_readme_table_is_generated() {
    let table = generated_table("eyefinity");
    assert!(
        readme("eyefinity").contains(&table),
        "adapters/eyefinity/README.md is out of date; regenerate its table with:\n\
         ehr-host describe target/wasm32-wasip2/release/eyefinity.wasm --markdown\n\n{table}"
    );
}
