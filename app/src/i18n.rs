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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::{Locale, tr};

    /// Every literal key in the source, and every key built at run time, exists in both languages.
    #[test]
    fn every_ui_string_exists_in_chinese_and_english() {
        let mut keys = std::collections::BTreeSet::new();
        let namespaces = [
            "audit",
            "brand",
            "cases",
            "common",
            "competition",
            "exam",
            "grading",
            "results",
            "editor",
            "err",
            "footer",
            "home",
            "import",
            "lesson",
            "login",
            "nav",
            "notfound",
            "password",
            "role",
            "scenario",
            "search",
            "unit",
            "units",
            "users",
            "violation",
        ];
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out)
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p)
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for piece in text.split('"').skip(1).step_by(2) {
                let Some((ns, rest)) = piece.split_once('.') else {
                    continue;
                };
                let plain = !rest.is_empty()
                    && rest.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.'
                    });
                // Audit action codes such as "login.success" look like keys; they are shown through audit.actions.*.
                let audit_code = ["login.", "password.change", "unit.create", "unit.update"]
                    .iter()
                    .any(|c| piece.starts_with(c))
                    && !piece.contains("login.title")
                    && tr(
                        Locale::ZhCn,
                        &format!("audit.actions.{}", piece.replace('.', "_")),
                    ) != format!("audit.actions.{}", piece.replace('.', "_"));
                if namespaces.contains(&ns) && plain && !rest.ends_with('.') && !audit_code {
                    keys.insert(piece.to_owned());
                }
            }
        }
        for status in ["draft", "review", "published", "archived"] {
            keys.insert(format!("editor.status_{status}"));
        }
        for (prefix, codes) in [
            ("level", &["national", "provincial", "city"][..]),
            (
                "status",
                &["draft", "open", "running", "grading", "publicity", "final"],
            ),
            ("kind", &["theory", "scenario", "onsite", "casefile"]),
            ("stage", &["draft", "waiting", "running", "closed"]),
            ("qkind", &["single", "multiple", "judge"]),
            (
                "topic",
                &[
                    "procedure",
                    "evidence",
                    "law",
                    "penalty",
                    "monitoring",
                    "industry",
                    "case",
                ],
            ),
            ("band", &["easy", "medium", "hard"]),
            (
                "rule",
                &["all_or_nothing", "half_if_subset", "proportional"],
            ),
        ] {
            for code in codes {
                keys.insert(format!("competition.{prefix}_{code}"));
            }
        }
        for code in ["mean", "trimmed_mean", "median"] {
            keys.insert(format!("grading.agg_{code}"));
        }
        for status in ["open", "marking", "divergent", "final"] {
            keys.insert(format!("grading.status_{status}"));
        }
        for status in ["open", "upheld", "rejected"] {
            keys.insert(format!("results.appeal_{status}"));
        }
        for kind in ["case", "lesson", "scenario"] {
            keys.insert(format!("search.kind_{kind}"));
        }
        for n in 1..=11 {
            keys.insert(format!("violation.V{n}"));
        }
        for action in [
            "login_success",
            "login_failure",
            "login_locked",
            "login_disabled",
            "logout",
            "password_change",
            "unit_create",
            "unit_update",
            "user_create",
            "user_update",
            "user_reset_password",
            "roster_import",
            "content_save",
            "content_submit",
            "content_publish",
            "content_reject",
            "content_archive",
            "content_restore",
            "media_upload",
            "event_create",
            "event_attended",
            "event_absent",
            "study_rules",
            "study_assign",
            "video_upload",
            "competition_create",
            "competition_status",
            "competition_stage",
            "competition_enrol",
            "competition_waiting_room",
            "competition_start",
            "competition_extra_time",
            "competition_release",
            "competition_withhold",
            "competition_void",
            "competition_close",
            "grading_panel",
            "grading_configure",
            "grading_assign",
            "results_rules",
            "results_publish",
            "results_final",
            "results_appeal",
            "results_appeal_resolved",
        ] {
            keys.insert(format!("audit.actions.{action}"));
        }
        assert!(keys.len() > 200, "found only {} keys", keys.len());
        let mut missing = Vec::new();
        for key in &keys {
            for locale in Locale::ALL {
                let text = tr(locale, key);
                if text == *key || text.ends_with(key.as_str()) {
                    missing.push(format!("{}: {key}", locale.code()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "missing translations:\n{}",
            missing.join("\n")
        );
    }
}
