// The REST API: JSON in and out; errors carry the server's message ({"errors": [...]}).

const conn = () => document.getElementById('conn');

function online(ok, why) {
  const el = conn();
  if (!el) return;
  el.className = 'status ' + (ok ? 'ok' : 'down');
  el.textContent = ok ? 'live' : 'server unreachable';
  el.title = ok ? 'connected to the server' : why || '';
}

async function request(method, path, body, contentType = 'application/json') {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: body == null ? {} : { 'content-type': contentType },
      body: body == null ? undefined : contentType === 'application/json' ? JSON.stringify(body) : body,
    });
  } catch (e) {
    online(false, String(e));
    throw new Error('the server cannot be reached');
  }
  online(true);
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const message = json && json.errors ? json.errors.join('; ') : `HTTP ${res.status}`;
    const err = new Error(message);
    err.status = res.status;
    throw err;
  }
  return json;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body ?? {});
export const patch = (path) => request('PATCH', path);
export const del = (path) => request('DELETE', path);
