//! The dashboard's Schemas page in headless Chromium (the helpers of [`crate::dashboard_browser`]):
//! `spate server --schema-registry-listen` with subjects registered through the registry's own
//! REST API — one with two versions, one with a subject-level level and markup in its doc
//! strings, one whose name is markup — read back from the rendered DOM: subjects, versions,
//! ids, levels and whose they are, pretty-printed schema text, and the markup shown as text
//! (no element made of it). A server without a registry says it has none. Screenshots go to
//! `target/dashboard-screenshots/schemas*.png`.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use serde_json::json;
use spate_registry_client::{ClientConfig, RegistryClient};

use crate::common::Server;
use crate::dashboard_browser::{browse, chromium, count};

const ORDER_V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;
const ORDER_V2: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":"string","default":""}]}"#;
/// Markup in doc strings: a script and an image whose error handler would mark the page.
const NOTE: &str = r#"{"type":"record","name":"Note","doc":"<script>alert(1)</script>","fields":[{"name":"text","type":"string","doc":"<img src=x onerror=document.body.dataset.pwned=1>"}]}"#;
const MARKUP_SUBJECT: &str = "<b>bold</b>-value";

fn screenshot(browser: &Path, profile: &Path, url: &str, name: &str, size: &str) {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let path = shots.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&path);
    browse(
        browser,
        profile,
        url,
        &format!("--screenshot={}", path.display()),
        size,
        3000,
    );
    let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    assert!(
        len > 10_000,
        "screenshot {} is missing or blank ({len} bytes)",
        path.display()
    );
}

#[test]
fn the_schemas_page_shows_subjects_versions_and_levels_in_chromium() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        &dir.path().join("server.log"),
        &[
            "--kafka-listen",
            "127.0.0.1:0",
            "--schema-registry-listen",
            "127.0.0.1:0",
        ],
    );
    let registry_url = server
        .line
        .split("schema registry on ")
        .nth(1)
        .and_then(|rest| rest.split([' ', ',', ')']).next())
        .unwrap()
        .to_string();
    let registry = RegistryClient::new(&ClientConfig::new(&registry_url)).unwrap();
    assert_eq!(registry.register("orders-value", "AVRO", ORDER_V1).unwrap(), 1);
    assert_eq!(registry.register("orders-value", "AVRO", ORDER_V2).unwrap(), 2);
    assert_eq!(registry.register("notes-value", "AVRO", NOTE).unwrap(), 3);
    assert_eq!(
        registry.register(MARKUP_SUBJECT, "AVRO", r#""string""#).unwrap(),
        4
    );
    registry
        .call(
            "PUT",
            "/config/notes-value",
            Some(&json!({ "compatibility": "FULL" })),
        )
        .unwrap();
    let login = format!("{}/?token={}", server.url, server.token.clone().unwrap());
    let profile = dir.path().join("chromium-profile");

    // The two-version subject: both versions, newest first, with ids and indented text.
    let orders_url = format!("{login}#/schemas/orders-value");
    let dom = browse(&browser, &profile, &orders_url, "--dump-dom", "1400,1000", 3000);
    assert!(dom.contains("Subject orders-value"), "{dom}");
    let v2 = dom
        .find("Version 2")
        .unwrap_or_else(|| panic!("no version 2:\n{dom}"));
    let v1 = dom
        .find("Version 1")
        .unwrap_or_else(|| panic!("no version 1:\n{dom}"));
    assert!(v2 < v1, "versions are not newest first:\n{dom}");
    assert!(
        dom.contains("id 2 · AVRO") && dom.contains("id 1 · AVRO"),
        "{dom}"
    );
    assert!(
        dom.contains("{\n  \"type\": \"record\",\n  \"name\": \"Order\""),
        "the schema is not pretty-printed:\n{dom}"
    );
    assert!(
        dom.contains("BACKWARD") && dom.contains("(global default)"),
        "{dom}"
    );
    // The list: every subject with its version count; the markup subject's name as text.
    for subject in ["orders-value", "notes-value", "&lt;b&gt;bold&lt;/b&gt;-value"] {
        assert!(dom.contains(subject), "{subject} is not listed:\n{dom}");
    }
    assert!(
        !dom.contains("<b>bold</b>"),
        "a subject name became markup:\n{dom}"
    );
    assert!(dom.contains("Global compatibility"), "{dom}");

    // The subject with its own level and markup in its doc strings.
    let notes_url = format!("{login}#/schemas/notes-value");
    let dom = browse(&browser, &profile, &notes_url, "--dump-dom", "1400,1000", 3000);
    assert!(dom.contains("Subject notes-value"), "{dom}");
    assert!(dom.contains("FULL") && dom.contains("(subject's own)"), "{dom}");
    assert!(dom.contains("id 3 · AVRO"), "{dom}");
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the doc string is not shown as text:\n{dom}"
    );
    assert!(dom.contains("&lt;img src=x onerror="), "{dom}");
    // The only script is the dashboard's module; the only image its logo; nothing ran.
    assert_eq!(count(&dom, "<script"), 1, "{dom}");
    assert_eq!(count(&dom, "<img"), 1, "{dom}");
    assert!(
        !dom.contains("data-pwned"),
        "the doc string's handler ran:\n{dom}"
    );

    screenshot(&browser, &profile, &orders_url, "schemas", "1400,1100");
    screenshot(&browser, &profile, &notes_url, "schemas-markup", "1400,900");
}

#[test]
fn the_schemas_page_of_a_server_without_a_registry_says_so() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        &dir.path().join("server.log"),
        &["--kafka-listen", "127.0.0.1:0"],
    );
    let url = format!("{}/?token={}#/schemas", server.url, server.token.clone().unwrap());
    let profile = dir.path().join("chromium-profile");
    let dom = browse(&browser, &profile, &url, "--dump-dom", "1200,700", 2000);
    assert!(dom.contains("This server runs no schema registry."), "{dom}");
    assert!(dom.contains("--schema-registry-listen"), "{dom}");
    assert!(!dom.contains(r#"class="error""#), "{dom}");
    screenshot(&browser, &profile, &url, "schemas-none", "1200,500");
}
