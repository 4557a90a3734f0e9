//! Reading a roster file (CSV or XLSX) into rows, and checking each row on its own. Checks that need the
//! database (unit codes, existing usernames) are made by the import, which reports every problem at once.
//!
//! Columns, in any order, with Chinese or English headers:
//! 用户名/username, 姓名/name, 单位代码/unit_code, 角色/roles, 执法证号/cert_no (optional), 初始密码/password.

use crate::domain::{
    NewPassword, Role, Username, parse_cert_no, parse_display_name, parse_roles, parse_unit_code,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Column {
    Username,
    Name,
    UnitCode,
    Roles,
    CertNo,
    Password,
}

impl Column {
    pub const REQUIRED: [Column; 5] = [
        Column::Username,
        Column::Name,
        Column::UnitCode,
        Column::Roles,
        Column::Password,
    ];

    fn from_header(h: &str) -> Option<Column> {
        let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        match h.as_str() {
            "用户名" | "账号" | "username" => Some(Column::Username),
            "姓名" | "name" | "display_name" => Some(Column::Name),
            "单位代码" | "单位编码" | "unit_code" | "unit" => Some(Column::UnitCode),
            "角色" | "roles" | "role" => Some(Column::Roles),
            "执法证号" | "cert_no" | "certificate" => Some(Column::CertNo),
            "初始密码" | "密码" | "password" => Some(Column::Password),
            _ => None,
        }
    }

    /// The header as the template writes it.
    pub fn header(self) -> &'static str {
        match self {
            Column::Username => "用户名",
            Column::Name => "姓名",
            Column::UnitCode => "单位代码",
            Column::Roles => "角色",
            Column::CertNo => "执法证号",
            Column::Password => "初始密码",
        }
    }
}

/// One problem in the file: the spreadsheet row (1 is the header), the column, and a locale key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub row: usize,
    pub column: Option<Column>,
    pub key: String,
    /// The offending value, when showing it helps (never a password).
    pub value: String,
}

/// A row that passed its own checks.
#[derive(Clone, Debug)]
pub struct RosterRow {
    pub row: usize,
    pub username: Username,
    pub display_name: String,
    pub unit_code: String,
    pub roles: Vec<Role>,
    pub cert_no: Option<String>,
    pub password: NewPassword,
}

/// Most rows one import takes; larger rosters are split so one mistake does not hold up thousands.
pub const MAX_ROWS: usize = 5000;

/// Reads the cells of a CSV (UTF-8, with or without BOM, or GB18030 as Excel saves it in China) or XLSX file.
pub fn read_cells(file_name: &str, bytes: &[u8]) -> Result<Vec<Vec<String>>, &'static str> {
    let lower = file_name.to_lowercase();
    if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else if lower.ends_with(".csv") || lower.ends_with(".txt") || !bytes.contains(&0) {
        read_csv(bytes)
    } else {
        Err("import.err_format")
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, &'static str> {
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => {
            let (decoded, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                return Err("import.err_encoding");
            }
            decoded.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| "import.err_csv")?;
        rows.push(record.iter().map(|c| c.trim().to_owned()).collect());
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, &'static str> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|_| "import.err_xlsx")?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("import.err_xlsx_empty")?
        .map_err(|_| "import.err_xlsx")?;
    Ok(range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    // Spreadsheets turn numeric passwords and certificate numbers into floats.
                    calamine::Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    other => other.to_string().trim().to_owned(),
                })
                .collect()
        })
        .collect())
}

/// Maps the header row, then checks every data row on its own. Returns the good rows and every error.
pub fn parse_rows(cells: &[Vec<String>]) -> (Vec<RosterRow>, Vec<RowError>) {
    let mut errors = Vec::new();
    let Some(header) = cells.first() else {
        errors.push(RowError {
            row: 1,
            column: None,
            key: "import.err_empty".into(),
            value: String::new(),
        });
        return (Vec::new(), errors);
    };
    let columns: Vec<Option<Column>> = header.iter().map(|h| Column::from_header(h)).collect();
    for required in Column::REQUIRED {
        if !columns.contains(&Some(required)) {
            errors.push(RowError {
                row: 1,
                column: Some(required),
                key: "import.err_missing_column".into(),
                value: required.header().into(),
            });
        }
    }
    if !errors.is_empty() {
        return (Vec::new(), errors);
    }
    let data: Vec<(usize, &Vec<String>)> = cells
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .collect();
    if data.is_empty() {
        errors.push(RowError {
            row: 2,
            column: None,
            key: "import.err_no_rows".into(),
            value: String::new(),
        });
        return (Vec::new(), errors);
    }
    if data.len() > MAX_ROWS {
        errors.push(RowError {
            row: MAX_ROWS + 2,
            column: None,
            key: "import.err_too_many".into(),
            value: MAX_ROWS.to_string(),
        });
        return (Vec::new(), errors);
    }
    let mut rows = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (index, record) in data {
        let row = index + 1;
        let get = |c: Column| -> String {
            columns
                .iter()
                .position(|x| *x == Some(c))
                .and_then(|i| record.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let before = errors.len();
        let mut err = |column: Column, key: &str, value: String| {
            errors.push(RowError {
                row,
                column: Some(column),
                key: key.into(),
                value,
            })
        };
        let username = Username::parse(&get(Column::Username))
            .map_err(|e| err(Column::Username, e.0, get(Column::Username)));
        let name = parse_display_name(&get(Column::Name))
            .map_err(|e| err(Column::Name, e.0, get(Column::Name)));
        let unit = parse_unit_code(&get(Column::UnitCode))
            .map_err(|e| err(Column::UnitCode, e.0, get(Column::UnitCode)));
        let roles = parse_roles(&get(Column::Roles))
            .map_err(|e| err(Column::Roles, e.0, get(Column::Roles)));
        let cert = parse_cert_no(&get(Column::CertNo))
            .map_err(|e| err(Column::CertNo, e.0, get(Column::CertNo)));
        let password = NewPassword::parse(&get(Column::Password))
            .map_err(|e| err(Column::Password, e.0, String::new()));
        if let Ok(u) = &username {
            if let Some((_, first)) = seen.iter().find(|(name, _)| name == u.as_str()) {
                err(
                    Column::Username,
                    "import.err_duplicate_in_file",
                    format!("{} ({first})", u.as_str()),
                );
            } else {
                seen.push((u.as_str().to_owned(), row));
            }
        }
        if errors.len() > before {
            continue;
        }
        if let (
            Ok(username),
            Ok(display_name),
            Ok(unit_code),
            Ok(roles),
            Ok(cert_no),
            Ok(password),
        ) = (username, name, unit, roles, cert, password)
        {
            rows.push(RosterRow {
                row,
                username,
                display_name,
                unit_code,
                roles,
                cert_no,
                password,
            });
        }
    }
    (rows, errors)
}

/// The CSV template offered for download, with one example row.
pub fn template_csv() -> String {
    let header: Vec<&str> = [
        Column::Username,
        Column::Name,
        Column::UnitCode,
        Column::Roles,
        Column::CertNo,
        Column::Password,
    ]
    .iter()
    .map(|c| c.header())
    .collect();
    format!(
        "\u{feff}{}\r\nzhangsan,张三,ZJ-HZ,学员,ZJ-2024-0001,Welcome2026\r\n",
        header.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(text: &str) -> Vec<Vec<String>> {
        read_cells("r.csv", text.as_bytes()).unwrap()
    }

    #[test]
    fn chinese_headers_in_any_order_are_understood() {
        let (rows, errors) = parse_rows(&cells(
            "姓名,用户名,角色,单位代码,初始密码\n张三,zhangsan,学员、考官,zj-hz,abcd1234\n",
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].username.as_str(), "zhangsan");
        assert_eq!(rows[0].unit_code, "ZJ-HZ");
        assert_eq!(rows[0].roles, vec![Role::Trainee, Role::Examiner]);
        assert_eq!(rows[0].row, 2);
    }

    #[test]
    fn every_bad_row_and_column_is_reported() {
        let text = "username,name,unit_code,roles,password\n\
                    ok.user,好,ZJ,trainee,abcd1234\n\
                    x,李四,ZJ,trainee,abcd1234\n\
                    wang,王五,ZJ,boss,short\n\
                    ok.user,重复,ZJ,trainee,abcd1234\n";
        let (rows, errors) = parse_rows(&cells(text));
        assert_eq!(rows.len(), 1);
        let found: Vec<(usize, Option<Column>, &str)> = errors
            .iter()
            .map(|e| (e.row, e.column, e.key.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (3, Some(Column::Username), "err.username_length"),
                (4, Some(Column::Roles), "err.role_unknown"),
                (4, Some(Column::Password), "err.password_short"),
                (5, Some(Column::Username), "import.err_duplicate_in_file"),
            ]
        );
        assert!(
            errors
                .iter()
                .all(|e| e.column != Some(Column::Password) || e.value.is_empty()),
            "passwords are never echoed"
        );
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let (_, errors) = parse_rows(&cells("用户名,姓名,角色,初始密码\na.b,张,学员,abcd1234\n"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].column, Some(Column::UnitCode));
        assert_eq!(errors[0].key, "import.err_missing_column");
    }

    #[test]
    fn gb18030_csv_from_excel_is_decoded() {
        let (bytes, _, _) = encoding_rs::GB18030
            .encode("用户名,姓名,单位代码,角色,初始密码\nli.si,李四,ZJ,学员,abcd1234\n");
        let cells = read_cells("roster.csv", &bytes).unwrap();
        let (rows, errors) = parse_rows(&cells);
        assert!(errors.is_empty());
        assert_eq!(rows[0].display_name, "李四");
    }

    #[test]
    fn the_template_parses_cleanly() {
        let (rows, errors) = parse_rows(&cells(&template_csv()));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 1);
    }
}
