//! Accounts: logging in and out, the session's user, changing one's password and choosing the language.

use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::t;
use crate::ui::{ActionFeedback, PageHeader, error_text};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
mod ssr;

/// What the browser may know about the logged-in person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub unit_name: String,
    pub roles: Vec<Role>,
    pub must_change_password: bool,
}

impl SessionUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

#[server(prefix = "/api", endpoint = "session_user")]
pub async fn get_session_user() -> Result<Option<SessionUser>, AppError> {
    let user = crate::server::auth::current_user().await?;
    Ok(user.map(|u| SessionUser {
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        unit_name: u.unit_name,
        roles: u.roles,
        must_change_password: u.must_change_password,
    }))
}

#[server(prefix = "/api", endpoint = "login")]
#[tracing::instrument(skip_all)]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    let target = ssr::login(&username, &password).await?;
    leptos_axum::redirect(target);
    Ok(())
}

#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    ssr::logout().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/api", endpoint = "change_password")]
#[tracing::instrument(skip_all)]
pub async fn change_password(
    current: String,
    new_password: String,
    confirm: String,
) -> Result<(), AppError> {
    ssr::change_password(&current, &new_password, &confirm).await?;
    leptos_axum::redirect("/?password_changed=1");
    Ok(())
}

/// Remembers the chosen language in a cookie and returns to the page the person was on.
#[server(prefix = "/api", endpoint = "set_locale")]
pub async fn set_locale(locale: String) -> Result<(), AppError> {
    use axum::http::{HeaderValue, header::SET_COOKIE};
    let locale = crate::i18n::Locale::parse(&locale);
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        crate::i18n::LOCALE_COOKIE,
        locale.code()
    );
    if let (Some(res), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        res.append_header(SET_COOKIE, value);
    }
    Ok(())
}

/// The logged-in person, loaded once per page and shared through context.
#[derive(Clone, Copy)]
pub struct UserResource(pub Resource<Result<Option<SessionUser>, AppError>>);

pub fn use_session_user() -> Resource<Result<Option<SessionUser>, AppError>> {
    expect_context::<UserResource>().0
}

/// Shows `children` only to a logged-in user with `role` (any role when `None`); sends everyone else where
/// they belong: to the login page, to the password change, or to a refusal.
#[component]
pub fn Protected(#[prop(optional)] role: Option<Role>, children: ChildrenFn) -> impl IntoView {
    use leptos_router::components::Redirect;
    let user = use_session_user();
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) if u.must_change_password => {
                            view! { <Redirect path="/account/password"/> }.into_any()
                        }
                        Ok(Some(u)) if role.is_none_or(|r| u.has(r)) => children().into_any(),
                        Ok(Some(_)) => view! { <crate::ui::ErrorPanel err=AppError::Forbidden/> }.into_any(),
                        Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    // A plain form: the login works without JavaScript, and a full page load afterwards shows the new session.
    let action = ServerAction::<Login>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <div class="auth-page">
            <div class="card auth-card">
                <h1 class="auth-title">{t("login.title")}</h1>
                <p class="muted">{t("login.subtitle")}</p>
                {move || error().map(|err| view! { <p class="alert alert-error" role="alert">{error_text(&err)}</p> })}
                <form method="post" action="/api/login" class="form">
                    <label for="username">{t("login.username")}</label>
                    <input id="username" name="username" type="text" autocomplete="username" required
                        autocapitalize="none" spellcheck="false"/>
                    <label for="password">{t("login.password")}</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    <button type="submit" class="btn btn-primary btn-block">{t("login.submit")}</button>
                </form>
                <p class="muted small">{t("login.help")}</p>
            </div>
        </div>
    }
}

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    use leptos_router::components::Redirect;
    let action = ServerAction::<ChangePassword>::new();
    let user = use_session_user();
    view! {
        <Suspense fallback=crate::ui::Loading>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(u)) => view! {
                        <div class="narrow">
                            <PageHeader title=t("password.title")/>
                            {u.must_change_password.then(|| view! {
                                <p class="alert alert-info">{t("password.must_change")}</p>
                            })}
                            <div class="card">
                                <ActionFeedback action=action/>
                                <form method="post" action="/api/change_password" class="form">
                                    <label for="current">{t("password.current")}</label>
                                    <input id="current" name="current" type="password" autocomplete="current-password" required/>
                                    <label for="new_password">{t("password.new")}</label>
                                    <input id="new_password" name="new_password" type="password" autocomplete="new-password"
                                        required minlength="8"/>
                                    <p class="hint">{t("password.policy")}</p>
                                    <label for="confirm">{t("password.confirm")}</label>
                                    <input id="confirm" name="confirm" type="password" autocomplete="new-password" required/>
                                    <button type="submit" class="btn btn-primary">{t("password.submit")}</button>
                                </form>
                            </div>
                        </div>
                    }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(err) => view! { <crate::ui::ErrorPanel err/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
