//! Demo data for a first run: the organisation tree and one account per role from `content/demo/org.toml`.

use anyhow::{Context, anyhow};
use app::domain::{
    NewPassword, Role, Username, parse_cert_no, parse_display_name, parse_unit_code,
    parse_unit_name,
};
use app::server::{AppState, units, users};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
struct OrgFile {
    unit: Vec<UnitSpec>,
    #[serde(default)]
    account: Vec<AccountSpec>,
}

#[derive(Debug, Deserialize)]
struct UnitSpec {
    code: String,
    name: String,
    parent: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct AccountSpec {
    pub username: String,
    pub name: String,
    pub unit: String,
    pub roles: Vec<String>,
    pub password: String,
    pub cert_no: Option<String>,
}

/// Loads the demo organisation into a database that has no units yet. Returns the accounts it created
/// (to print their credentials), or nothing when the database already had data.
pub async fn demo(state: &AppState, file: &Path) -> anyhow::Result<Vec<AccountSpec>> {
    let mut conn = state.pool.acquire().await?;
    if units::count(&mut conn).await? > 0 {
        return Ok(Vec::new());
    }
    drop(conn);
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let org: OrgFile =
        toml::from_str(&text).with_context(|| format!("{} is not valid", file.display()))?;
    let mut tx = state.pool.begin().await?;
    for spec in &org.unit {
        let code =
            parse_unit_code(&spec.code).map_err(|e| anyhow!("unit {}: {}", spec.code, e.0))?;
        let name =
            parse_unit_name(&spec.name).map_err(|e| anyhow!("unit {}: {}", spec.code, e.0))?;
        let parent = match &spec.parent {
            Some(p) => Some(
                units::by_code(&mut tx, p)
                    .await?
                    .ok_or_else(|| anyhow!("unit {code}: no parent {p}"))?,
            ),
            None => None,
        };
        let level = parent.as_ref().map(|p| p.level + 1).unwrap_or(0);
        units::insert(&mut tx, parent.as_ref(), &code, &name, level).await?;
    }
    for a in &org.account {
        let username =
            Username::parse(&a.username).map_err(|e| anyhow!("account {}: {}", a.username, e.0))?;
        let password = NewPassword::parse(&a.password)
            .map_err(|e| anyhow!("account {}: {}", a.username, e.0))?;
        let unit = units::by_code(&mut tx, &a.unit)
            .await?
            .ok_or_else(|| anyhow!("account {}: no unit {}", a.username, a.unit))?;
        let roles = a
            .roles
            .iter()
            .map(|r| Role::parse(r))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow!("account {}: {}", a.username, e.0))?;
        let new = users::NewUser {
            username: username.as_str().to_owned(),
            display_name: parse_display_name(&a.name)
                .map_err(|e| anyhow!("account {}: {}", a.username, e.0))?,
            unit_id: unit.unit_id,
            roles,
            cert_no: parse_cert_no(a.cert_no.as_deref().unwrap_or(""))
                .map_err(|e| anyhow!("account {}: {}", a.username, e.0))?,
            password_hash: hash(&password).await?,
            must_change_password: false,
        };
        users::insert(&mut tx, &new).await?;
    }
    tx.commit().await?;
    Ok(org.account)
}

async fn hash(password: &NewPassword) -> anyhow::Result<String> {
    app::server::auth::hash_password(password)
        .await
        .map_err(|e| anyhow!("hashing failed: {e}"))
}
