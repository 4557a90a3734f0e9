-- Versioned content. An item (kind + stable id) keeps every version it ever had; attempts and exam papers point
-- at a version, so publishing a change never alters what someone already started. `search_doc` and
-- `search_term` hold a character-bigram index of published text, the same on both backends.

create table content_item (
    content_id         integer primary key,
    kind               text not null,
    item_key           text not null,
    title              text not null,
    latest_version     integer not null,
    published_version  integer,
    status             text not null check (status in ('draft', 'review', 'published', 'archived')),
    scope_unit_id      integer references unit (unit_id),
    updated_at         integer not null,
    unique (kind, item_key)
);

create table content_version (
    version_id   integer primary key,
    content_id   integer not null references content_item (content_id),
    version      integer not null,
    hash         text not null,
    title        text not null,
    body         text not null,
    source       text not null,
    created_by   integer references app_user (user_id),
    created_at   integer not null,
    unique (content_id, version)
);

create table search_doc (
    doc_id      integer primary key,
    content_id  integer not null unique references content_item (content_id),
    kind        text not null,
    item_key    text not null,
    title       text not null,
    text        text not null,
    scope_path  text not null default '/'
);

create table search_term (
    term    text not null,
    doc_id  integer not null references search_doc (doc_id) on delete cascade,
    tf      integer not null,
    primary key (term, doc_id)
);
create index search_term_doc_idx on search_term (doc_id);

create table media (
    media_id      integer primary key,
    content_type  text not null,
    bytes         blob not null,
    size          integer not null,
    created_by    integer references app_user (user_id),
    created_at    integer not null
);
