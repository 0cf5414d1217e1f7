// Numbers, sizes, durations and times as people read them.

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

/** 1234567 -> "1,234,567"; null -> "—". */
export function int(n) {
  return n == null || Number.isNaN(n) ? '—' : intFormat.format(n);
}

/** A per-second rate: "12.5/s", "1,234/s". */
export function rate(n) {
  if (n == null || Number.isNaN(n)) return '—';
  return (Math.abs(n) < 100 && n % 1 !== 0 ? oneDecimal.format(n) : intFormat.format(n)) + '/s';
}

/** A compact count for chart axes: 1.2k, 3.4M. */
export function compact(n) {
  if (n == null) return '—';
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + 'G';
  if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
  if (a >= 1e3) return (n / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
  return a < 10 && n % 1 !== 0 ? n.toFixed(1) : String(Math.round(n));
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes: "812 B", "1.4 MiB". */
export function bytes(n) {
  if (n == null || Number.isNaN(n)) return '—';
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? String(Math.round(v)) : v.toFixed(v >= 100 ? 0 : 1)) + ' ' + UNITS[i];
}

/** Milliseconds: "850 ms", "12.3 s", "3m 05s", "2h 04m", "3d 2h". */
export function duration(ms) {
  if (ms == null || Number.isNaN(ms) || ms < 0) return '—';
  if (ms < 1000) return Math.round(ms) + ' ms';
  const s = ms / 1000;
  if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Epoch ms as a UTC date-time: "2026-11-22 18:30:01.250 UTC". */
export function utc(ms, { millis = true, zone = true } = {}) {
  if (ms == null || ms < -62135596800000 || ms > 253402300799999) {
    if (ms != null && ms > 253402300799999) return 'end of input';
    return '—';
  }
  const iso = new Date(ms).toISOString(); // 2026-11-22T18:30:01.250Z
  const text = iso.slice(0, 10) + ' ' + iso.slice(11, millis ? 23 : 19);
  return zone ? text + ' UTC' : text;
}

/** Epoch ms as a UTC time of day: "18:30:01". */
export function clock(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

/** A ratio 0..1 as "42 %". */
export function percent(r) {
  if (r == null || Number.isNaN(r)) return '—';
  return Math.round(r * 100) + ' %';
}
