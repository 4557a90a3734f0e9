//! Domain types shared by browser and server: what a valid username, password, role or unit is.
//! Pure logic, no I/O; every parse failure names a locale key a person can read.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A rule a piece of input broke, as a locale key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invalid(pub &'static str);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Role {
    Trainee,
    Examiner,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Trainee, Role::Examiner, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Trainee => "trainee",
            Role::Examiner => "examiner",
            Role::Admin => "admin",
        }
    }

    /// Accepts the stored English code and the Chinese names used in roster files.
    pub fn parse(s: &str) -> Result<Role, Invalid> {
        match s.trim().to_lowercase().as_str() {
            "trainee" | "学员" => Ok(Role::Trainee),
            "examiner" | "考官" | "评委" => Ok(Role::Examiner),
            "admin" | "管理员" => Ok(Role::Admin),
            _ => Err(Invalid("err.role_unknown")),
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Role::Trainee => "role.trainee",
            Role::Examiner => "role.examiner",
            Role::Admin => "role.admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a list of roles separated by commas, Chinese commas, 、 or spaces; at least one, no repeats.
pub fn parse_roles(s: &str) -> Result<Vec<Role>, Invalid> {
    let mut roles = Vec::new();
    for part in s
        .split([',', '，', '、', ';', '；', ' '])
        .filter(|p| !p.trim().is_empty())
    {
        let role = Role::parse(part)?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(Invalid("err.roles_empty"));
    }
    roles.sort();
    Ok(roles)
}

/// A login name: 3–32 characters of ASCII letters, digits, `.`, `_`, `-`, starting with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Username, Invalid> {
        let s = s.trim();
        let len = s.chars().count();
        if !(3..=32).contains(&len) {
            return Err(Invalid("err.username_length"));
        }
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !first_ok || !rest_ok {
            return Err(Invalid("err.username_chars"));
        }
        Ok(Username(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the policy: at least 8 characters, with letters and digits, at most 128.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(s: &str) -> Result<NewPassword, Invalid> {
        let len = s.chars().count();
        if len < 8 {
            return Err(Invalid("err.password_short"));
        }
        if len > 128 {
            return Err(Invalid("err.password_long"));
        }
        let letters = s.chars().any(|c| c.is_alphabetic());
        let digits = s.chars().any(|c| c.is_ascii_digit());
        if !letters || !digits {
            return Err(Invalid("err.password_mix"));
        }
        Ok(NewPassword(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A person's display name: 1–40 characters, no control characters.
pub fn parse_display_name(s: &str) -> Result<String, Invalid> {
    let s = s.trim();
    let len = s.chars().count();
    if len == 0 || len > 40 || s.chars().any(char::is_control) {
        return Err(Invalid("err.display_name"));
    }
    Ok(s.to_owned())
}

/// An enforcement-certificate number (执法证号): optional; 4–32 letters, digits or `-`.
pub fn parse_cert_no(s: &str) -> Result<Option<String>, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let len = s.chars().count();
    if !(4..=32).contains(&len) || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Invalid("err.cert_no"));
    }
    Ok(Some(s.to_uppercase()))
}

/// Where a unit stands in the tree: the ministry at the top, then province, city, county or district.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
pub enum UnitLevel {
    Ministry,
    Province,
    City,
    County,
}

impl UnitLevel {
    pub fn from_depth(depth: i64) -> Option<UnitLevel> {
        match depth {
            0 => Some(UnitLevel::Ministry),
            1 => Some(UnitLevel::Province),
            2 => Some(UnitLevel::City),
            3 => Some(UnitLevel::County),
            _ => None,
        }
    }

    pub fn depth(self) -> i64 {
        self as i64
    }

    /// The level of a unit created under this one; counties have no children.
    pub fn child(self) -> Option<UnitLevel> {
        UnitLevel::from_depth(self.depth() + 1)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            UnitLevel::Ministry => "unit.level_ministry",
            UnitLevel::Province => "unit.level_province",
            UnitLevel::City => "unit.level_city",
            UnitLevel::County => "unit.level_county",
        }
    }
}

/// A unit code: 2–32 upper-case letters, digits or `-` (e.g. `ZJ-HZ-XH`).
pub fn parse_unit_code(s: &str) -> Result<String, Invalid> {
    let s = s.trim().to_uppercase();
    let len = s.chars().count();
    if !(2..=32).contains(&len) || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Invalid("err.unit_code"));
    }
    Ok(s)
}

/// A unit name: 2–60 characters.
pub fn parse_unit_name(s: &str) -> Result<String, Invalid> {
    let s = s.trim();
    let len = s.chars().count();
    if !(2..=60).contains(&len) || s.chars().any(char::is_control) {
        return Err(Invalid("err.unit_name"));
    }
    Ok(s.to_owned())
}

/// True when `path` (a materialised path such as `/1/4/`) lies inside the subtree rooted at `root`.
pub fn in_subtree(root: &str, path: &str) -> bool {
    path.starts_with(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_lowercased_and_limited_to_safe_characters() {
        assert_eq!(
            Username::parse("  Zhang.San ").unwrap().as_str(),
            "zhang.san"
        );
        assert_eq!(Username::parse("ab"), Err(Invalid("err.username_length")));
        assert_eq!(Username::parse("_abc"), Err(Invalid("err.username_chars")));
        assert_eq!(
            Username::parse("张三丰"),
            Err(Invalid("err.username_chars"))
        );
        assert_eq!(Username::parse("a b c"), Err(Invalid("err.username_chars")));
    }

    #[test]
    fn passwords_need_eight_characters_with_letters_and_digits() {
        assert!(NewPassword::parse("abcdefg1").is_ok());
        assert!(NewPassword::parse("环境执法abcd1234").is_ok());
        assert_eq!(
            NewPassword::parse("abc1").unwrap_err(),
            Invalid("err.password_short")
        );
        assert_eq!(
            NewPassword::parse("abcdefgh").unwrap_err(),
            Invalid("err.password_mix")
        );
        assert_eq!(
            NewPassword::parse("12345678").unwrap_err(),
            Invalid("err.password_mix")
        );
        assert_eq!(
            NewPassword::parse(&"a1".repeat(65)).unwrap_err(),
            Invalid("err.password_long")
        );
    }

    #[test]
    fn a_password_never_appears_in_debug_output() {
        let p = NewPassword::parse("secret123").unwrap();
        assert!(!format!("{p:?}").contains("secret"));
    }

    #[test]
    fn roles_parse_from_english_and_chinese_lists() {
        assert_eq!(
            parse_roles("学员、考官").unwrap(),
            vec![Role::Trainee, Role::Examiner]
        );
        assert_eq!(
            parse_roles("admin, trainee，admin").unwrap(),
            vec![Role::Trainee, Role::Admin]
        );
        assert_eq!(parse_roles(" "), Err(Invalid("err.roles_empty")));
        assert_eq!(parse_roles("boss"), Err(Invalid("err.role_unknown")));
    }

    #[test]
    fn unit_levels_go_four_deep_and_counties_have_no_children() {
        assert_eq!(UnitLevel::Ministry.child(), Some(UnitLevel::Province));
        assert_eq!(UnitLevel::City.child(), Some(UnitLevel::County));
        assert_eq!(UnitLevel::County.child(), None);
    }

    #[test]
    fn subtree_membership_follows_the_materialised_path() {
        assert!(in_subtree("/1/4/", "/1/4/9/"));
        assert!(in_subtree("/1/4/", "/1/4/"));
        assert!(!in_subtree("/1/4/", "/1/41/"));
        assert!(!in_subtree("/1/4/", "/1/"));
    }

    #[test]
    fn cert_numbers_are_optional_but_well_formed() {
        assert_eq!(parse_cert_no(""), Ok(None));
        assert_eq!(
            parse_cert_no("zj-2024-0031"),
            Ok(Some("ZJ-2024-0031".into()))
        );
        assert_eq!(parse_cert_no("12"), Err(Invalid("err.cert_no")));
    }
}
