//! Lianbing's user interface and server functions: one crate compiled twice, for the server (`ssr`) and for the
//! browser (`hydrate`). Features live in their own modules; server-only data access sits behind `ssr`.

#![recursion_limit = "256"]
// Server functions take one argument per form field, so wide forms make wide functions.
#![allow(clippy::too_many_arguments)]

rust_i18n::i18n!("locales", fallback = "zh-CN");

pub mod accounts;
pub mod admin;
pub mod competition;
#[cfg(feature = "ssr")]
pub mod content;
pub mod domain;
pub mod error;
pub mod grading;
pub mod home;
pub mod i18n;
pub mod library;
pub mod scenario;
pub mod shell;
pub mod study;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

pub use shell::{App, shell};

/// Browser entry point: picks up the language the server rendered and hydrates the page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::*;
    console_error_panic_hook::set_once();
    let locale = i18n::Locale::from_document();
    leptos::mount::hydrate_body(move || {
        provide_context(locale);
        view! { <App/> }
    });
}
