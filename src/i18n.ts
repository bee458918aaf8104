import de from './locales/de.json';
import en from './locales/en.json';
import fr from './locales/fr.json';
import lb from './locales/lb.json';

export const LOCALES = ['en', 'fr', 'de', 'lb'] as const;
export type Locale = (typeof LOCALES)[number];
/** A locale file: key → text; `null` marks a key not translated yet, which falls back (lb → de → en). */
export type Catalog = Record<string, string | null>;

export const catalogs: Record<Locale, Catalog> = { en, fr, de, lb };

/** Luxembourgish falls back to German, then English; the others to English. */
const FALLBACKS: Record<Locale, Locale[]> = { en: ['en'], fr: ['fr', 'en'], de: ['de', 'en'], lb: ['lb', 'de', 'en'] };

/** Picks a locale from an Accept-Language header by q-value: `fr-LU,fr;q=0.9` → fr. */
export function negotiateLocale(header: string | undefined): Locale {
  if (!header) return 'en';
  const ranges = header
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      return { lang: tag.trim().toLowerCase().split('-')[0], q: q ? Number(q[1]) : 1, i };
    })
    .filter((r) => r.lang && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) if ((LOCALES as readonly string[]).includes(r.lang)) return r.lang as Locale;
  return 'en';
}

export function translate(locale: Locale, key: string, params: Record<string, string | number> = {}): string {
  for (const l of FALLBACKS[locale]) {
    const text = catalogs[l][key];
    if (typeof text === 'string') return text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  }
  return key;
}

/** The whole catalog for a locale with fallbacks applied: what the pages receive. */
export function resolvedCatalog(locale: Locale): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(catalogs.en)) out[key] = translate(locale, key);
  return out;
}
