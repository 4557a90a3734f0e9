-- Units, accounts, sessions, audit log and roster imports. Times are epoch seconds; flags are 0/1 integers,
-- the types sqlx's Any driver reads the same on SQLite and PostgreSQL.

create table unit (
    unit_id     integer primary key,
    code        text not null unique,
    name        text not null,
    level       integer not null,
    parent_id   integer references unit (unit_id),
    path        text not null,
    created_at  integer not null,
    updated_at  integer not null
);
create index unit_parent_idx on unit (parent_id);
create index unit_path_idx on unit (path);

create table app_user (
    user_id              integer primary key,
    username             text not null unique,
    display_name         text not null,
    unit_id              integer not null references unit (unit_id),
    password_hash        text not null,
    must_change_password integer not null default 0,
    cert_no              text,
    active               integer not null default 1,
    failed_logins        integer not null default 0,
    first_failed_at      integer,
    locked_until         integer,
    last_login_at        integer,
    created_at           integer not null,
    updated_at           integer not null
);
create index app_user_unit_idx on app_user (unit_id);

create table user_role (
    user_id  integer not null references app_user (user_id) on delete cascade,
    role     text not null check (role in ('trainee', 'examiner', 'admin')),
    primary key (user_id, role)
);

create table session (
    session_id  text primary key,
    user_id     integer references app_user (user_id) on delete cascade,
    data        text not null,
    expires_at  integer not null
);
create index session_user_idx on session (user_id);
create index session_expires_idx on session (expires_at);

create table audit_event (
    audit_id        integer primary key,
    at              integer not null,
    actor_user_id   integer references app_user (user_id),
    actor_username  text,
    action          text not null,
    target          text not null default '',
    detail          text not null default '',
    scope_path      text not null default '/',
    ip              text not null default ''
);
create index audit_event_scope_idx on audit_event (scope_path);

create table roster_import (
    import_id   integer primary key,
    created_by  integer not null references app_user (user_id),
    created_at  integer not null,
    file_name   text not null,
    imported    integer not null,
    row_count   integer not null,
    report      text not null
);
