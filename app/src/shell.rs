//! The HTML shell, the router, and the frame around every page: header, navigation by role, language switch.

use crate::accounts::{ChangePasswordPage, LoginPage, SessionUser, UserResource, get_session_user};
use crate::admin::{
    AuditPage, ContentListPage, EditorPage, ImportPage, UnitsPage, UserEditPage, UserNewPage,
    UsersPage,
};
use crate::competition::standings::{AwardPage, PublicResultsPage, ResultsAdminPage};
use crate::competition::{
    CompetitionAdminPage, CompetitionsAdminPage, MyCompetitionsPage, StageStatsPage,
};
use crate::domain::Role;
use crate::grading::{CasefilePage, ChiefPage, MarkingQueuePage, MarkingSheetPage};
use crate::home::HomePage;
use crate::i18n::{Locale, t, use_locale};
use crate::library::{CasePage, CasesPage, ScenarioBriefPage, SearchPage};
use crate::scenario::{AttemptPage, ScenariosPage};
use crate::study::admin::StudyAdminPage;
use crate::study::events::{EventAdminPage, EventsAdminPage, EventsPage};
use crate::study::{
    CertificatePage, CoursePage, CourseTestPage, CoursesPage, HoursPage, StudyLessonPage,
    VerifyPage,
};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let locale = request_locale();
    provide_context(locale);
    view! {
        <!DOCTYPE html>
        <html lang=locale.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="stylesheet" href="/style.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The language of this request: the cookie if the person chose one, Chinese otherwise.
fn request_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use axum::http::header::COOKIE;
        let parts = use_context::<axum::http::request::Parts>();
        let cookies = parts
            .as_ref()
            .and_then(|p| p.headers.get(COOKIE))
            .and_then(|v| v.to_str().ok());
        if let Some(cookies) = cookies {
            for pair in cookies.split(';') {
                if let Some((name, value)) = pair.trim().split_once('=')
                    && name == crate::i18n::LOCALE_COOKIE
                {
                    return Locale::parse(value);
                }
            }
        }
    }
    Locale::ZhCn
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let user = Resource::new(|| (), |_| get_session_user());
    provide_context(UserResource(user));
    view! {
        <Title formatter=|text: String| {
            if text.is_empty() { "练兵 Lianbing".to_owned() } else { crate::ui::rcdata_text(&format!("{text} · 练兵")) }
        }/>
        <Router>
            <Header/>
            <main class="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/password") view=ChangePasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/units") view=UnitsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users/new") view=UserNewPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users/:id") view=UserEditPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/import") view=ImportPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/content") view=ContentListPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/content/new/:kind") view=EditorPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/content/:kind/:key") view=EditorPage ssr=SsrMode::Async/>
                    <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async/>
                    <Route path=path!("/cases") view=CasesPage ssr=SsrMode::Async/>
                    <Route path=path!("/cases/:id") view=CasePage ssr=SsrMode::Async/>
                    <Route path=path!("/lessons/:id") view=StudyLessonPage ssr=SsrMode::Async/>
                    <Route path=path!("/courses") view=CoursesPage ssr=SsrMode::Async/>
                    <Route path=path!("/courses/:id") view=CoursePage ssr=SsrMode::Async/>
                    <Route path=path!("/courses/:id/test") view=CourseTestPage ssr=SsrMode::Async/>
                    <Route path=path!("/study/hours") view=HoursPage ssr=SsrMode::Async/>
                    <Route path=path!("/certificates/:code") view=CertificatePage ssr=SsrMode::Async/>
                    <Route path=path!("/verify") view=VerifyPage ssr=SsrMode::Async/>
                    <Route path=path!("/events") view=EventsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/events") view=EventsAdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/events/:id") view=EventAdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/study") view=StudyAdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/scenarios") view=ScenariosPage ssr=SsrMode::Async/>
                    <Route path=path!("/scenarios/:id") view=ScenarioBriefPage ssr=SsrMode::Async/>
                    <Route path=path!("/attempts/:id") view=AttemptPage ssr=SsrMode::Async/>
                    <Route path=path!("/competitions") view=MyCompetitionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/competitions") view=CompetitionsAdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/competitions/:id") view=CompetitionAdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/stages/:id/stats") view=StageStatsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/competitions/:id/results") view=ResultsAdminPage ssr=SsrMode::Async/>
                    <Route path=path!("/results/:id") view=PublicResultsPage ssr=SsrMode::Async/>
                    <Route path=path!("/awards/:code") view=AwardPage ssr=SsrMode::Async/>
                    <Route path=path!("/marking") view=MarkingQueuePage ssr=SsrMode::Async/>
                    <Route path=path!("/marking/:id") view=MarkingSheetPage ssr=SsrMode::Async/>
                    <Route path=path!("/marking/stages/:id") view=ChiefPage ssr=SsrMode::Async/>
                    <Route path=path!("/casefile/:id") view=CasefilePage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <footer class="footer">
                <p>{t("footer.text")}</p>
            </footer>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let user = crate::accounts::use_session_user();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark">"练兵"</span>
                <span class="brand-sub">{t("brand.tagline")}</span>
            </a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) => view! { <UserNav user=u/> }.into_any(),
                        _ => view! { <div class="nav-tools"><LocaleSwitch/></div> }.into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}

#[component]
fn UserNav(user: SessionUser) -> impl IntoView {
    let links = nav_links(&user);
    let links_wide = links.clone();
    let many = links.len() > 8;
    view! {
        // With many links (admins) the row would wrap on a laptop: they stay in the menu below 1400 px.
        <nav class=if many { "nav-wide nav-many" } else { "nav-wide" } aria-label=t("nav.label")>
            {links_wide.into_iter().map(|(href, key)| view! { <a href=href>{t(key)}</a> }).collect_view()}
        </nav>
        <div class="nav-tools">
            <span class="who" title=user.unit_name.clone()>{user.display_name.clone()}</span>
            <LocaleSwitch/>
            <form method="post" action="/api/logout" class="inline">
                <button type="submit" class="btn btn-ghost btn-small">{t("nav.logout")}</button>
            </form>
            // On a phone the links fold into a menu that opens without JavaScript.
            <details class="nav-menu">
                <summary aria-label=t("nav.menu")>"☰"</summary>
                <nav aria-label=t("nav.label")>
                    {links.into_iter().map(|(href, key)| view! { <a href=href>{t(key)}</a> }).collect_view()}
                    <span class="muted small">{user.unit_name.clone()}</span>
                </nav>
            </details>
        </div>
    }
}

/// The links a person's roles open.
fn nav_links(user: &SessionUser) -> Vec<(&'static str, &'static str)> {
    let mut links = vec![
        ("/", "nav.home"),
        ("/courses", "nav.courses"),
        ("/scenarios", "nav.scenarios"),
        ("/competitions", "nav.competitions"),
        ("/cases", "nav.cases"),
        ("/search", "nav.search"),
    ];
    if user.has(Role::Examiner) {
        links.push(("/marking", "nav.marking"));
    }
    if user.has(Role::Admin) {
        links.extend([
            ("/admin/units", "nav.units"),
            ("/admin/users", "nav.users"),
            ("/admin/import", "nav.import"),
            ("/admin/study", "nav.study_admin"),
            ("/admin/competitions", "nav.competitions_admin"),
            ("/admin/content", "nav.content"),
            ("/admin/audit", "nav.audit"),
        ]);
    }
    links.push(("/account/password", "nav.password"));
    links
}

/// Switches the language with a plain form, so it works without JavaScript and reloads every string.
#[component]
fn LocaleSwitch() -> impl IntoView {
    let other = match use_locale() {
        Locale::ZhCn => Locale::En,
        Locale::En => Locale::ZhCn,
    };
    view! {
        <form method="post" action="/api/set_locale" class="inline">
            <input type="hidden" name="locale" value=other.code()/>
            <button type="submit" class="btn btn-ghost btn-small" lang=other.code()>{t("nav.switch_language")}</button>
        </form>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text=t("notfound.title")/>
        <div class="card error-panel">
            <h1>{t("notfound.title")}</h1>
            <p>{t("notfound.body")}</p>
            <p><a href="/">{t("nav.back_home")}</a></p>
        </div>
    }
}
