// The exam room's script: saves each answer as it changes, keeps unsaved answers on this device and re-sends them
// after a reconnect, shows saved / saving / offline, runs the clock from the server's remaining time, learns of a
// takeover, and hands in at the deadline. Without it the page still works through its form.
'use strict';

let status = null;
let msgs = {};

function messages() {
  const el = document.getElementById('exam-status');
  return el ? JSON.parse(el.dataset.msgs || '{}') : {};
}

function say(kind, text) {
  status = document.getElementById('exam-status');
  if (!status) return;
  if (!msgs.saved) msgs = JSON.parse(status.dataset.msgs || '{}');
  status.dataset.state = kind;
  status.textContent = text || msgs[kind] || '';
}

function waitingRoom(room) {
  const stage = room.dataset.stage;
  const starts = Number(room.dataset.starts || 0);
  const countdown = document.getElementById('countdown');
  let offset = 0; // server clock minus ours, in seconds
  const tick = () => {
    if (!starts || !countdown) return;
    const left = Math.max(0, Math.round(starts - (Date.now() / 1000 + offset)));
    const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    countdown.textContent = left > 0 ? `${h > 0 ? h + ':' : ''}${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : '';
  };
  const poll = async () => {
    let next = 5000;
    try {
      const res = await fetch(`/exam/api/stage/${stage}`, { cache: 'no-store' });
      if (res.ok) {
        const st = await res.json();
        offset = st.server_now - Date.now() / 1000;
        if (st.status === 'running' || st.status === 'closed') {
          // Spread the arrival of a full room over a second and a half.
          setTimeout(() => enter(room), Math.random() * 1500);
          return;
        }
        const left = st.starts_at ? st.starts_at - st.server_now : Infinity;
        next = left < 60 ? 2000 : 5000;
      }
    } catch (_) { /* offline: try again */ }
    setTimeout(poll, next + Math.random() * 1000);
  };
  setInterval(tick, 1000);
  tick();
  poll();
}

// Turns the waiting room into the paper: the questions come as JSON (token-checked, no page render) and fill the
// shell the server put in the page. Any surprise falls back to reloading, which the server renders in full.
async function enter(room) {
  const shell = document.getElementById('paper-shell');
  const { sitting, token } = room.dataset;
  try {
    const res = await fetch(`/exam/api/${sitting}/paper`, { headers: { 'x-exam-token': token }, cache: 'no-store' });
    if (res.status === 425) { setTimeout(() => enter(room), 1000); return; }
    if (!res.ok || !shell) { location.reload(); return; }
    const data = await res.json();
    const labels = shell.dataset;
    const frag = shell.content.cloneNode(true);
    const form = frag.querySelector('#exam-form');
    const nav = frag.querySelector('.exam-nav');
    const actions = form.querySelector('.exam-actions');
    form.dataset.remaining = String(Math.round(data.remaining_ms / 1000));
    const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; };
    const pts = (h) => (h % 100 === 0 ? String(h / 100) : String(h / 100).replace(/0+$/, ''));
    for (const q of data.questions) {
      const given = data.answers[q.pos] || '';
      const fs = el('fieldset', 'exam-q');
      fs.id = `q${q.pos}`; fs.dataset.pos = q.pos; fs.dataset.kind = q.kind;
      const legend = el('legend');
      legend.append(el('span', 'exam-qno', `${q.pos + 1}.`), el('span', 'tag', labels[q.kind]),
        el('span', 'small muted', ` (${labels.points.replace('%{n}', pts(q.points))})`));
      fs.append(legend, el('p', 'exam-stem', q.stem));
      q.options.forEach(([letter, text], i) => {
        const label = el('label', 'exam-opt');
        const input = el('input');
        input.type = q.kind === 'multiple' ? 'checkbox' : 'radio';
        input.name = `a${q.pos}`; input.value = letter; input.checked = given.includes(letter);
        label.append(input);
        if (q.kind !== 'judge') label.append(el('span', 'exam-letter', String.fromCharCode(65 + i)));
        label.append(el('span', null, q.kind === 'judge' ? (letter === 'T' ? labels.true : labels.false) : text));
        fs.append(label);
      });
      form.insertBefore(fs, actions);
      const a = el('a', 'exam-nav-item', String(q.pos + 1));
      a.href = `#q${q.pos}`; a.id = `nav${q.pos}`;
      if (given) a.classList.add('answered');
      nav.append(a);
    }
    shell.remove();
    room.replaceWith(frag);
    paper(document.getElementById('exam-form'));
  } catch (_) {
    setTimeout(() => enter(room), 2000);
  }
}

function paper(form) {
  const sitting = form.dataset.sitting;
  const token = form.dataset.token;
  const key = `lianbing-exam-${sitting}`;
  const timer = document.getElementById('exam-timer');
  let deadline = performance.now() + Number(form.dataset.remaining) * 1000;
  let stopped = false;
  let ending = false;
  let sending = false;
  let retry = 1000;

  // Pending answers survive a reload or a crash of the browser: { seq, pending: { pos: { answer, seq } } }.
  const load = () => { try { return JSON.parse(localStorage.getItem(key)) || { seq: 0, pending: {} }; } catch (_) { return { seq: 0, pending: {} }; } };
  const store = (s) => { try { localStorage.setItem(key, JSON.stringify(s)); } catch (_) { /* private mode: memory only */ } };
  let state = load();

  const answerOf = (fieldset) => Array.from(fieldset.querySelectorAll('input:checked')).map((i) => i.value).sort().join('');
  const fieldsetAt = (pos) => form.querySelector(`fieldset[data-pos="${pos}"]`);
  const mark = (pos, answer) => {
    const nav = document.getElementById(`nav${pos}`);
    if (nav) nav.classList.toggle('answered', answer !== '');
  };

  // Answers this device gave but the server has not acknowledged win over what the page was rendered with.
  for (const [pos, p] of Object.entries(state.pending)) {
    const fs = fieldsetAt(pos);
    if (!fs) continue;
    fs.querySelectorAll('input').forEach((i) => { i.checked = p.answer.includes(i.value); });
    mark(pos, p.answer);
  }

  const stop = (kind) => {
    stopped = true;
    say(kind);
    form.querySelectorAll('input, button').forEach((el) => { el.disabled = true; });
    document.body.classList.add('exam-stopped');
  };

  const flush = async () => {
    if (sending || stopped) return;
    const entries = Object.entries(state.pending);
    if (entries.length === 0) { say('saved'); return; }
    sending = true;
    say('saving');
    const answers = entries.map(([pos, p]) => ({ pos: Number(pos), answer: p.answer, seq: p.seq }));
    try {
      const res = await fetch(`/exam/api/${sitting}/answers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-exam-token': token },
        body: JSON.stringify({ answers }),
      });
      if (res.ok) {
        const body = await res.json();
        deadline = performance.now() + body.remaining_ms;
        state = load();
        for (const a of answers) {
          const p = state.pending[a.pos];
          if (p && p.seq <= a.seq) delete state.pending[a.pos];
        }
        store(state);
        retry = 1000;
        sending = false;
        if (Object.keys(state.pending).length) flush(); else say('saved');
        return;
      }
      if (res.status === 409) { sending = false; stop('taken'); return; }
      if (res.status === 410) { sending = false; stop('closed'); setTimeout(() => location.reload(), 2500); return; }
      if (res.status === 422) {
        // The server cannot read these answers; keeping them would block the queue forever.
        state = load();
        for (const a of answers) delete state.pending[a.pos];
        store(state);
      }
    } catch (_) { /* network down */ }
    sending = false;
    say('offline');
    setTimeout(flush, retry);
    retry = Math.min(retry * 2, 15000);
  };

  let debounce = null;
  form.addEventListener('change', (ev) => {
    const fs = ev.target.closest('fieldset[data-pos]');
    if (!fs || stopped) return;
    const pos = fs.dataset.pos;
    const answer = answerOf(fs);
    state = load();
    state.seq += 1;
    state.pending[pos] = { answer, seq: state.seq };
    store(state);
    mark(pos, answer);
    say('saving');
    clearTimeout(debounce);
    debounce = setTimeout(flush, 400);
  });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (stopped) return;
    const button = ev.submitter;
    if (button && button.value === 'save') { flush(); return; }
    const open = Array.from(form.querySelectorAll('fieldset[data-pos]')).filter((fs) => answerOf(fs) === '').length;
    const m = messages();
    const question = (open ? (m.unanswered || '').replace('%{n}', open) + '\n' : '') + (m.confirm || '');
    if (!window.confirm(question)) return;
    await handIn();
  });

  const handIn = async () => {
    await flush();
    try {
      const res = await fetch(`/exam/api/${sitting}/submit`, { method: 'POST', headers: { 'x-exam-token': token } });
      if (res.ok || res.status === 410) { stopped = true; location.reload(); return; }
      if (res.status === 409) { stop('taken'); return; }
    } catch (_) { /* offline: the server hands in at the deadline with what it has */ }
    say('offline');
  };

  const tick = () => {
    const left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
    const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    if (timer) {
      timer.textContent = `${h > 0 ? h + ':' : ''}${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
      timer.classList.toggle('exam-timer-low', left <= 300);
    }
    if (left === 0 && !stopped && !ending) {
      ending = true;
      // Last answers go first; the server has closed the paper at the deadline and hands it in itself.
      flush().finally(() => { stop('timeup'); setTimeout(() => location.reload(), 4000); });
    }
  };

  // The clock follows the server: extra time granted by an admin, and a takeover noticed while idle.
  const check = async () => {
    if (stopped) return;
    try {
      const res = await fetch(`/exam/api/${sitting}/status`, { headers: { 'x-exam-token': token }, cache: 'no-store' });
      if (res.status === 409) { stop('taken'); return; }
      if (res.ok) {
        const st = await res.json();
        if (st.remaining_ms != null) deadline = performance.now() + st.remaining_ms;
        if (st.state === 'submitted') { stop('closed'); setTimeout(() => location.reload(), 2500); return; }
      }
    } catch (_) { /* offline */ }
    setTimeout(check, 20000 + Math.random() * 10000);
  };

  window.addEventListener('online', flush);
  setInterval(tick, 1000);
  tick();
  setTimeout(check, 20000 + Math.random() * 10000);
  if (Object.keys(state.pending).length) flush();
}

const room = document.getElementById('waiting-room');
if (room) waitingRoom(room);
const form = document.getElementById('exam-form');
if (form && !form.closest('template')) paper(form);
