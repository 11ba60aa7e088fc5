// Calls to the service, with the bearer token when the service asks for one.
const TOKEN_KEY = "tagger-token";
let token = sessionStorage.getItem(TOKEN_KEY) || "";

export function setToken(t) {
  token = t;
  sessionStorage.setItem(TOKEN_KEY, t);
}

export class AuthError extends Error {}

let askToken = null; // set by app.js: () => Promise<void> that resolves once a token is entered
export function onTokenNeeded(fn) { askToken = fn; }

async function send(path, options = {}, retry = true) {
  const headers = { ...(options.headers || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, { ...options, headers });
  if (res.status === 401 && retry && askToken) {
    await askToken();
    return send(path, options, false);
  }
  if (res.status === 401) throw new AuthError("the service refused the token");
  if (!res.ok) {
    const text = await res.text();
    let msg = text;
    try { msg = JSON.parse(text).error || text; } catch { /* plain text */ }
    throw new Error(`${res.status}: ${msg}`);
  }
  return res;
}

export async function getJSON(path) {
  return (await send(path)).json();
}

function sendJSON(path, body) {
  return send(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

export async function postJSON(path, body) {
  return (await sendJSON(path, body)).json();
}

export async function postRaw(path, body, type = "application/octet-stream") {
  return (await send(path, { method: "POST", headers: { "Content-Type": type }, body })).json();
}

export async function postForBlob(path, body) {
  return (await sendJSON(path, body)).blob();
}

export function saveBlob(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One async job on the public API: submit, poll its status, fetch its results.
export async function runJob(articles) {
  const { task_id } = await postJSON("/submit/submit", { articles, evidence: false });
  for (let wait = 200; ; wait = Math.min(wait * 1.5, 1500)) {
    const st = await getJSON(`/submit/status?task_id=${encodeURIComponent(task_id)}`);
    if (st.status === "success" || st.status === "completed") break;
    if (st.status === "failure" || st.status === "failed" || st.status === "cancelled" || st.status === "canceled") {
      throw new Error(`job ${task_id} ${st.status}`);
    }
    await sleep(wait);
  }
  return getJSON(`/submit/get?task_id=${encodeURIComponent(task_id)}`);
}
