// application/x-www-form-urlencoded with bracketed nested keys, as Stripe's v1 API expects:
// {created: {gte: 1}} -> created[gte]=1, {expand: ['a']} -> expand[0]=a.

export type FormValue = string | number | boolean | null | undefined | FormValue[] | { [k: string]: FormValue };

export function encodeForm(params: Record<string, FormValue>): string {
  const out = new URLSearchParams();
  const walk = (key: string, v: FormValue): void => {
    if (v === undefined) return;
    if (v === null) out.append(key, '');
    else if (Array.isArray(v)) v.forEach((item, i) => walk(`${key}[${i}]`, item));
    else if (typeof v === 'object') for (const [k, inner] of Object.entries(v)) walk(`${key}[${k}]`, inner);
    else out.append(key, String(v));
  };
  for (const [k, v] of Object.entries(params)) walk(k, v);
  return out.toString();
}

/** Parses bracketed form keys back into nested objects (used by the fakes). */
export function decodeForm(body: string | URLSearchParams): Record<string, unknown> {
  const params = typeof body === 'string' ? new URLSearchParams(body) : body;
  const root: Record<string, unknown> = {};
  for (const [rawKey, value] of params) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    const path = m ? [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)] : [rawKey];
    let node: Record<string, unknown> = root;
    path.forEach((seg, i) => {
      const last = i === path.length - 1;
      const key = seg === '' ? String(Object.keys(node).length) : seg;
      if (last) node[key] = value;
      else node = (node[key] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}
