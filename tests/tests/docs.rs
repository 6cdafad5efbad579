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

fn assert_readme_holds_generated_table(adapter: &str) {
    let table = generated_table(adapter);
    assert!(
        readme(adapter).contains(&table),
        "adapters/{adapter}/README.md is out of date; regenerate its table with:\n\
         ehr-host describe target/wasm32-wasip2/release/{adapter}.wasm --markdown\n\n{table}"
    );
}

// Each adapter's README holds exactly the table its built component generates.
#[test]
fn revolution_readme_table_is_generated() {
    assert_readme_holds_generated_table("revolution");
}

#[test]
fn eyefinity_readme_table_is_generated() {
    assert_readme_holds_generated_table("eyefinity");
}

#[test]
fn crystalpm_readme_table_is_generated() {
    assert_readme_holds_generated_table("crystalpm");
}

#[test]
fn officemate_readme_table_is_generated() {
    assert_readme_holds_generated_table("officemate");
}

// The idempotency-key rule is one rule: the SDK README states it, the SDK builds it, the
// scaffold and both REST adapters call that builder (and nothing formats a key by hand).
#[test]
fn one_idempotency_key_rule_everywhere() {
    let read = |p: &str| std::fs::read_to_string(root().join(p)).unwrap();
    assert!(read("sdk/README.md").contains("`Idempotency-Key: {job_id}:{part}`"));
    assert!(read("sdk/src/rest.rs").contains("format!(\"{job_id}:{part}\")"));
    for user in [
        "host/src/cli/scaffold_lib.rs.txt",
        "adapters/revolution/src/write.rs",
        "adapters/eyefinity/src/write.rs",
    ] {
        let code = read(user);
        assert!(code.contains("idempotency_key(&s.job_id"), "{user}");
        assert!(
            !code.contains("format!(\"{}:"),
            "{user} formats a key by hand"
        );
    }
}
