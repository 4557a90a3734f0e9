//! The UI language: Chinese first, English on request. Strings live in `app/locales/*.yml`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Locale {
    #[default]
    ZhCn,
    En,
}

/// The cookie that remembers the chosen language.
pub const LOCALE_COOKIE: &str = "lb_lang";

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    pub fn code(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// Reads a language code, as stored in the cookie or sent by a form; anything unknown is Chinese.
    pub fn parse(code: &str) -> Locale {
        match code.trim() {
            "en" | "en-US" | "en-GB" => Locale::En,
            _ => Locale::ZhCn,
        }
    }

    /// The language the server rendered, read back from `<html lang>` so hydration renders the same text.
    #[cfg(feature = "hydrate")]
    pub fn from_document() -> Locale {
        leptos::prelude::document()
            .document_element()
            .and_then(|el| el.get_attribute("lang"))
            .map(|code| Locale::parse(&code))
            .unwrap_or_default()
    }
}

/// The language of the page being rendered.
pub fn use_locale() -> Locale {
    leptos::prelude::use_context::<Locale>().unwrap_or_default()
}

/// Translates a key in the current page's language.
pub fn t(key: &str) -> String {
    tr(use_locale(), key)
}

/// Translates a key in a given language.
pub fn tr(locale: Locale, key: &str) -> String {
    rust_i18n::t!(key, locale = locale.code()).into_owned()
}

/// Translates a key and fills `%{name}` placeholders.
pub fn t_with(key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(key);
    for (name, value) in args {
        text = text.replace(&format!("%{{{name}}}"), value);
    }
    text
}
