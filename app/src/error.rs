//! The one error type of the application. Server functions return it; pages show it through its locale key.
//! Internal causes are logged on the server where they happen and reach the browser only as `Internal`.

use crate::domain::Invalid;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Not logged in, or the session expired.
    #[error("not logged in")]
    Unauthenticated,
    /// Logged in, but the role or unit scope does not allow it.
    #[error("forbidden")]
    Forbidden,
    /// The account must set a new password before doing anything else.
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("not found")]
    NotFound,
    /// Bad input: which field, and a locale key saying what is wrong.
    #[error("invalid {field}: {key}")]
    Invalid { field: String, key: String },
    /// Login refused: unknown user or wrong password, deliberately the same.
    #[error("bad credentials")]
    BadCredentials,
    #[error("account locked")]
    AccountLocked,
    #[error("account disabled")]
    AccountDisabled,
    #[error("too many requests")]
    RateLimited,
    /// Something broke on the server; the cause was logged there.
    #[error("internal error")]
    Internal,
    /// The request never reached our code (network, encoding).
    #[error("transport: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, Invalid(key): Invalid) -> AppError {
        AppError::Invalid {
            field: field.to_owned(),
            key: key.to_owned(),
        }
    }

    pub fn field(field: &str, key: &str) -> AppError {
        AppError::Invalid {
            field: field.to_owned(),
            key: key.to_owned(),
        }
    }

    /// The locale key of the message a person sees.
    pub fn message_key(&self) -> &str {
        match self {
            AppError::Unauthenticated => "err.unauthenticated",
            AppError::Forbidden => "err.forbidden",
            AppError::PasswordChangeRequired => "err.password_change_required",
            AppError::NotFound => "err.not_found",
            AppError::Invalid { key, .. } => key,
            AppError::BadCredentials => "err.bad_credentials",
            AppError::AccountLocked => "err.account_locked",
            AppError::AccountDisabled => "err.account_disabled",
            AppError::RateLimited => "err.rate_limited",
            AppError::Internal => "err.internal",
            AppError::Transport(_) => "err.transport",
        }
    }

    /// The form field the error belongs to, if any.
    pub fn field_name(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;

    impl From<sqlx::Error> for AppError {
        #[track_caller]
        fn from(err: sqlx::Error) -> Self {
            let at = std::panic::Location::caller();
            tracing::error!(error = %err, %at, "database error");
            AppError::Internal
        }
    }

    impl From<tower_sessions::session::Error> for AppError {
        #[track_caller]
        fn from(err: tower_sessions::session::Error) -> Self {
            let at = std::panic::Location::caller();
            tracing::error!(error = %err, %at, "session error");
            AppError::Internal
        }
    }

    impl AppError {
        /// Logs an internal cause with context and returns the opaque error.
        #[track_caller]
        pub fn internal(context: &str, err: impl std::fmt::Display) -> AppError {
            let at = std::panic::Location::caller();
            tracing::error!(error = %err, %at, "{context}");
            AppError::Internal
        }
    }

    impl axum::response::IntoResponse for AppError {
        fn into_response(self) -> axum::response::Response {
            use axum::http::StatusCode;
            let status = match &self {
                AppError::Unauthenticated | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
                AppError::Forbidden
                | AppError::PasswordChangeRequired
                | AppError::AccountDisabled => StatusCode::FORBIDDEN,
                AppError::AccountLocked | AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                AppError::NotFound => StatusCode::NOT_FOUND,
                AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (
                status,
                crate::i18n::tr(crate::i18n::Locale::ZhCn, self.message_key()),
            )
                .into_response()
        }
    }
}
