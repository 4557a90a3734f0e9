-- Competitions: stages, rosters and the theory exam. A sitting is one candidate's paper for one stage; its
-- answers are saved one row per position as they change, and a submitted sitting is never written again (every
-- answer save first touches the sitting row on the condition that it is still open, so a save and a submission
-- are serialised on that row on both databases).

create table competition (
    competition_id  integer primary key,
    name            text not null,
    level           text not null check (level in ('national', 'provincial', 'city')),
    unit_id         integer not null references unit (unit_id),
    status          text not null check (status in ('draft', 'open', 'running', 'grading', 'publicity', 'final')),
    created_by      integer not null references app_user (user_id),
    created_at      integer not null,
    updated_at      integer not null
);

create table stage (
    stage_id        integer primary key,
    competition_id  integer not null references competition (competition_id),
    position        integer not null,
    kind            text not null check (kind in ('theory', 'scenario', 'onsite', 'casefile')),
    title           text not null,
    weight          integer not null,
    starts_at       integer,
    duration_s      integer not null,
    blueprint       text not null default '',
    scenario_key    text,
    status          text not null check (status in ('draft', 'waiting', 'running', 'closed')),
    started_at      integer,
    closed_at       integer,
    released        integer not null default 0
);
create index stage_competition_idx on stage (competition_id);

create table team (
    team_id         integer primary key,
    competition_id  integer not null references competition (competition_id),
    unit_id         integer not null references unit (unit_id),
    name            text not null,
    unique (competition_id, name)
);

create table entrant (
    entrant_id      integer primary key,
    competition_id  integer not null references competition (competition_id),
    user_id         integer not null references app_user (user_id),
    unit_id         integer not null references unit (unit_id),
    team_id         integer references team (team_id),
    candidate_no    text not null,
    created_at      integer not null,
    unique (competition_id, user_id),
    unique (competition_id, candidate_no)
);
create index entrant_user_idx on entrant (user_id);

create table exam_sitting (
    sitting_id      integer primary key,
    stage_id        integer not null references stage (stage_id),
    entrant_id      integer not null references entrant (entrant_id),
    paper           text not null,
    max_score       integer not null,
    extra_s         integer not null default 0,
    deadline_at     integer,
    token           text,
    generation      integer not null default 0,
    claimed_at      integer,
    last_saved_at   integer,
    submitted_at    integer,
    submit_kind     text,
    score           integer,
    attempt_id      integer,
    unique (stage_id, entrant_id)
);
create index exam_sitting_open_idx on exam_sitting (submitted_at, deadline_at);

create table exam_answer (
    sitting_id  integer not null references exam_sitting (sitting_id),
    position    integer not null,
    answer      text not null,
    generation  integer not null,
    seq         integer not null,
    saved_at    integer not null,
    primary key (sitting_id, position)
);

create table exam_event (
    event_id    integer primary key,
    sitting_id  integer not null references exam_sitting (sitting_id),
    at          integer not null,
    kind        text not null,
    detail      text not null default ''
);
create index exam_event_sitting_idx on exam_event (sitting_id);

create table voided_question (
    stage_id      integer not null references stage (stage_id),
    question_key  text not null,
    reason        text not null,
    voided_by     integer not null references app_user (user_id),
    voided_at     integer not null,
    primary key (stage_id, question_key)
);
