//! Small shared pieces of UI: page headers, feedback for forms, loading and empty states.

use crate::error::AppError;
use crate::i18n::t;
use leptos::prelude::*;

/// The message a person reads for an error, in the page's language.
pub fn error_text(err: &AppError) -> String {
    t(err.message_key())
}

/// Shows the outcome of a server action: its error, or `ok_key` once it succeeded.
#[component]
pub fn ActionFeedback<S>(
    action: ServerAction<S>,
    #[prop(optional)] ok_key: &'static str,
) -> impl IntoView
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || match action.value().get() {
        Some(Err(err)) => {
            view! { <p class="alert alert-error" role="alert">{error_text(&err)}</p> }.into_any()
        }
        Some(Ok(_)) if !ok_key.is_empty() => {
            view! { <p class="alert alert-ok" role="status">{t(ok_key)}</p> }.into_any()
        }
        _ => ().into_any(),
    }
}

/// The error a server function sent back to a plain (no-JavaScript) form, read from the redirect URL.
pub fn form_error_for(path: &str) -> Option<AppError> {
    use leptos::server::ServerActionError;
    use leptos::server_fn::error::ServerFnUrlError;
    let err = use_context::<ServerActionError>()?;
    (err.path() == path).then(|| ServerFnUrlError::<AppError>::decode_err(err.err()))
}

#[component]
pub fn PageHeader(
    title: String,
    #[prop(optional)] subtitle: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="page-header">
            <div>
                <h1>{title}</h1>
                {subtitle.map(|s| view! { <p class="muted">{s}</p> })}
            </div>
            {children.map(|c| view! { <div class="page-actions">{c()}</div> })}
        </div>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="muted loading">{t("common.loading")}</p> }
}

/// An empty state that says what to do next.
#[component]
pub fn Empty(
    title: String,
    hint: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty">
            <p class="empty-title">{title}</p>
            <p class="muted">{hint}</p>
            {children.map(|c| c())}
        </div>
    }
}

/// A full-page error such as "not allowed" or "not found".
#[component]
pub fn ErrorPanel(err: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        use axum::response::IntoResponse;
        res.set_status(err.clone().into_response().status());
    }
    view! {
        <div class="card error-panel">
            <h1>{t("err.title")}</h1>
            <p>{error_text(&err)}</p>
            <p><a href="/">{t("nav.back_home")}</a></p>
        </div>
    }
}

/// Text to put inside a `<textarea>` or `<title>`. Leptos writes these elements' text without escaping it, so on
/// the server it is escaped here (the browser decodes it back); a `</textarea>` or `</title>` in saved text can
/// then never end the element early. In the browser the text is set directly and needs nothing.
pub fn rcdata_text(text: &str) -> String {
    #[cfg(feature = "ssr")]
    {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    #[cfg(not(feature = "ssr"))]
    {
        text.to_owned()
    }
}

/// Formats epoch seconds as a date and time in China Standard Time (UTC+8), the time officers read.
pub fn format_time(epoch: i64) -> String {
    let cst = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    match time::OffsetDateTime::from_unix_timestamp(epoch) {
        Ok(at) => {
            let at = at.to_offset(cst);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute()
            )
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_shown_in_china_standard_time() {
        assert_eq!(super::format_time(0), "1970-01-01 08:00");
        // 2026-08-15 00:00 in Beijing is 2026-08-14 16:00 UTC.
        assert_eq!(super::format_time(1_786_723_200), "2026-08-15 00:00");
    }
}
