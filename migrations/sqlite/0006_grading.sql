-- Examiner-graded stages, blind marking, arbitration, results, appeals and award certificates.
-- A stage keeps a snapshot of its rubric, so changing the content later never changes a competition's marks.
-- mark_log is append-only and hash-chained: each entry's hash covers its fields and the previous entry's hash;
-- mark_chain holds the head so concurrent appends (several app instances) stay one chain by compare-and-swap.

alter table stage add column rubric text not null default '';
alter table stage add column examiners_k integer not null default 3;
alter table stage add column aggregation text not null default 'mean';
alter table stage add column divergence integer not null default 1000;
alter table stage add column casefile_key text;

alter table competition add column tie_breaks text not null default '[]';
alter table competition add column award_rule text not null default '';
alter table competition add column published_at integer;
alter table competition add column appeal_until integer;
alter table competition add column final_at integer;

create table stage_examiner (
    stage_id  integer not null references stage (stage_id),
    user_id   integer not null references app_user (user_id),
    chief     integer not null default 0,
    primary key (stage_id, user_id)
);

create table submission (
    submission_id  integer primary key,
    stage_id       integer not null references stage (stage_id),
    entrant_id     integer not null references entrant (entrant_id),
    code           text not null,
    documents      text not null default '{}',
    deadline_at    integer,
    submitted_at   integer,
    status         text not null check (status in ('open', 'marking', 'divergent', 'final')),
    score          integer,
    arbitrated     integer not null default 0,
    unique (stage_id, entrant_id),
    unique (stage_id, code)
);

create table assignment (
    submission_id  integer not null references submission (submission_id),
    examiner_id    integer not null references app_user (user_id),
    locked_at      integer,
    total          integer,
    primary key (submission_id, examiner_id)
);
create index assignment_examiner_idx on assignment (examiner_id);

create table mark (
    submission_id  integer not null references submission (submission_id),
    examiner_id    integer not null references app_user (user_id),
    criterion      text not null,
    points         integer not null,
    note           text not null default '',
    updated_at     integer not null,
    primary key (submission_id, examiner_id, criterion)
);

create table mark_chain (
    chain_id  integer primary key,
    head      text not null,
    entries   integer not null
);
insert into mark_chain (chain_id, head, entries) values (1, '', 0);

create table mark_log (
    log_id         integer primary key,
    at             integer not null,
    actor_id       integer,
    kind           text not null,
    submission_id  integer,
    examiner_id    integer,
    criterion      text not null default '',
    points         integer,
    reason         text not null default '',
    prev_hash      text not null,
    hash           text not null
);

create table arbitration (
    submission_id  integer primary key references submission (submission_id),
    chief_id       integer not null references app_user (user_id),
    score          integer not null,
    reason         text not null,
    at             integer not null
);

create table result (
    competition_id  integer not null references competition (competition_id),
    entrant_id      integer not null references entrant (entrant_id),
    total           integer not null,
    rank            integer not null,
    champion        integer not null default 0,
    award           text,
    stage_scores    text not null,
    primary key (competition_id, entrant_id)
);

create table appeal (
    appeal_id       integer primary key,
    competition_id  integer not null references competition (competition_id),
    entrant_id      integer not null references entrant (entrant_id),
    stage_id        integer references stage (stage_id),
    reason          text not null,
    filed_at        integer not null,
    status          text not null check (status in ('open', 'upheld', 'rejected')),
    resolution      text not null default '',
    resolved_by     integer references app_user (user_id),
    resolved_at     integer
);

create table award_certificate (
    code            text primary key,
    competition_id  integer not null references competition (competition_id),
    entrant_id      integer not null references entrant (entrant_id),
    title           text not null,
    issued_at       integer not null
);
