import { en, type MessageKey, type Messages } from './en';
import { ptBR } from './pt-BR';

export type { MessageKey, Messages };

export type Locale = 'en' | 'pt-BR';

export const LOCALES: readonly Locale[] = ['en', 'pt-BR'];

/** Names shown in the language switch, each in its own language. */
export const LOCALE_NAMES: Readonly<Record<Locale, string>> = {
  en: 'English',
  'pt-BR': 'Português (Brasil)',
};

export const STORAGE_KEY = 'broadcast.locale';

const DICTIONARIES: Readonly<Record<Locale, Messages>> = { en, 'pt-BR': ptBR };

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** Maps a BCP 47 tag to a supported locale: any Portuguese variant -> pt-BR, else English. */
export function localeFromLanguage(tag: string | undefined): Locale {
  return tag !== undefined && /^pt(?:[-_]|$)/i.test(tag.trim()) ? 'pt-BR' : 'en';
}

/** An explicit, valid saved choice wins; otherwise follow the browser language. */
export function pickLocale(stored: string | null | undefined, navigatorLanguage: string | undefined): Locale {
  return isLocale(stored) ? stored : localeFromLanguage(navigatorLanguage);
}

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem?(key: string): void;
}

/** Reads the saved locale; storage may be missing or throw (privacy modes), which is not fatal. */
export function loadLocale(storage: StorageLike | undefined, navigatorLanguage: string | undefined): Locale {
  let stored: string | null = null;
  try {
    stored = storage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    stored = null;
  }
  return pickLocale(stored, navigatorLanguage);
}

export function saveLocale(storage: StorageLike | undefined, locale: Locale): void {
  try {
    storage?.setItem(STORAGE_KEY, locale);
  } catch {
    // Not remembering the choice is acceptable; the switch still works for this page.
  }
}

export type Params = Readonly<Record<string, string | number>>;
export type Translate = (key: MessageKey, params?: Params) => string;

/** Looks up a text and fills `{name}` placeholders; unknown placeholders are left visible. */
export function translate(locale: Locale, key: MessageKey, params?: Params): string {
  const template = DICTIONARIES[locale][key] ?? en[key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (match, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : match,
  );
}

export function createTranslator(locale: Locale): Translate {
  return (key, params) => translate(locale, key, params);
}
