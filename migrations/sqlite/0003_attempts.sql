-- Scenario attempts. An attempt is its content version, seed and actions: the engine replays them to the current
-- state, so nothing derived is stored except the result columns used by the catalogue. The same row serves
-- practice, self-set exams and a competition's practical stage (stage_id, deadline_at set by the competition).

create table scenario_attempt (
    attempt_id    integer primary key,
    user_id       integer not null references app_user (user_id),
    scenario_key  text not null,
    version_id    integer not null references content_version (version_id),
    seed          integer not null,
    mode          text not null check (mode in ('practice', 'exam')),
    stage_id      integer,
    actions       text not null,
    marks         text not null,
    status        text not null check (status in ('open', 'finished', 'abandoned')),
    score         integer,
    max_score     integer not null,
    critical      integer not null default 0,
    started_at    integer not null,
    updated_at    integer not null,
    finished_at   integer,
    deadline_at   integer
);
create index scenario_attempt_user_idx on scenario_attempt (user_id, scenario_key);
