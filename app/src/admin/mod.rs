//! Administration within one's own unit subtree: units, people, roster import and the audit log.

pub mod audit;
pub mod content;
pub mod import;
#[cfg(feature = "ssr")]
pub mod roster;
pub mod units;
pub mod users;

pub use audit::AuditPage;
pub use content::{ContentListPage, EditorPage};
pub use import::ImportPage;
pub use units::UnitsPage;
pub use users::{UserEditPage, UserNewPage, UsersPage};

#[cfg(feature = "ssr")]
pub(crate) mod scope {
    //! The admin's reach: a unit may be touched only when it lies in the admin's subtree.
    use crate::error::AppError;
    use crate::server::auth::CurrentUser;
    use crate::server::units::{self, UnitRow};
    use sqlx::AnyConnection;

    pub async fn unit_in_scope(
        conn: &mut AnyConnection,
        admin: &CurrentUser,
        unit_id: i64,
    ) -> Result<UnitRow, AppError> {
        let unit = units::get(conn, unit_id).await?.ok_or(AppError::NotFound)?;
        if !admin.scopes(&unit.path) {
            return Err(AppError::Forbidden);
        }
        Ok(unit)
    }
}
