-- Study: enrolments and assignments, lesson progress from heartbeats, 学时 credits, blended training events,
-- certificates, and the 学时 rules. Hours are stored in hundredths (1 学时 = 100) so sums stay exact integers.

create table setting (
    key    text primary key,
    value  text not null
);

create table course_assignment (
    assignment_id  integer primary key,
    course_key     text not null,
    unit_id        integer references unit (unit_id),
    user_id        integer references app_user (user_id),
    due_at         integer not null,
    created_by     integer not null references app_user (user_id),
    created_at     integer not null
);

create table enrolment (
    user_id        integer not null references app_user (user_id),
    course_key     text not null,
    source         text not null check (source in ('self', 'assigned')),
    last_lesson    text,
    enrolled_at    integer not null,
    test_passed_at integer,
    test_answers   text,
    completed_at   integer,
    primary key (user_id, course_key)
);

create table lesson_progress (
    user_id         integer not null references app_user (user_id),
    lesson_key      text not null,
    seconds         integer not null default 0,
    last_beat_at    integer,
    check_score     integer,
    check_passed_at integer,
    check_answers   text,
    updated_at      integer not null,
    primary key (user_id, lesson_key)
);

create table credit (
    credit_id   integer primary key,
    user_id     integer not null references app_user (user_id),
    year        integer not null,
    kind        text not null check (kind in ('lesson', 'course_test', 'event')),
    ref_key     text not null,
    title       text not null,
    hundredths  integer not null,
    earned_at   integer not null,
    unique (user_id, kind, ref_key)
);
create index credit_user_year_idx on credit (user_id, year);

create table training_event (
    event_id      integer primary key,
    kind          text not null check (kind in ('class', 'site_visit')),
    title         text not null,
    industry      text,
    place         text not null,
    starts_at     integer not null,
    ends_at       integer not null,
    hundredths    integer not null,
    capacity      integer not null,
    unit_id       integer not null references unit (unit_id),
    checkin_code  text not null,
    created_by    integer not null references app_user (user_id),
    created_at    integer not null
);

create table event_signup (
    event_id     integer not null references training_event (event_id),
    user_id      integer not null references app_user (user_id),
    signed_at    integer not null,
    attended_at  integer,
    marked_by    integer references app_user (user_id),
    primary key (event_id, user_id)
);

create table certificate (
    certificate_id  integer primary key,
    code            text not null unique,
    user_id         integer not null references app_user (user_id),
    course_key      text not null,
    course_title    text not null,
    holder_name     text not null,
    hundredths      integer not null,
    issued_at       integer not null,
    unique (user_id, course_key)
);

-- A lesson's video: the file lives in the media directory, this row says it exists and who put it there.
create table lesson_video (
    lesson_key   text primary key,
    file_name    text not null,
    size         integer not null,
    uploaded_by  integer not null references app_user (user_id),
    uploaded_at  integer not null
);
